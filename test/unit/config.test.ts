import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.ts';

describe('config', () => {
  it('has embedded defaults for every key and freezes the result', () => {
    const c = loadConfig({ env: {} });
    expect(c.http.port).toBe(8080);
    expect(c.media.ladder.map((r) => r.name)).toEqual(['720p', '480p', '360p', 'audio']);
    expect(c.delay).toMatchObject({ minSeconds: 10, maxSeconds: 1800 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.media.ladder[0])).toBe(true);
  });

  it('reads environment variables, coercing numbers and parsing the JSON ladder', () => {
    const c = loadConfig({
      env: {
        COURTCAST_HTTP_PORT: '9000',
        COURTCAST_DELAY_MIN: '2',
        COURTCAST_SEGMENT_SECONDS: '1',
        COURTCAST_LADDER: '[{"name":"180p","height":180,"videoKbps":300},{"name":"audio"}]',
      },
    });
    expect(c.http.port).toBe(9000);
    expect(c.delay.minSeconds).toBe(2);
    expect(c.media.segmentSeconds).toBe(1);
    expect(c.media.ladder).toEqual([
      { name: '180p', height: 180, videoKbps: 300, audioKbps: 96 },
      { name: 'audio', audioKbps: 96 },
    ]);
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({
        env: { COURTCAST_HTTP_PORT: 'eighty', COURTCAST_SEGMENT_SECONDS: '3', COURTCAST_LADDER: '{not json', COURTCAST_LOG_LEVEL: 'loud' },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    expect(issues).toMatch(/COURTCAST_LADDER: not valid JSON/);
    expect(issues).toMatch(/http\.port/);
    expect(issues).toMatch(/media\.segmentSeconds/);
    expect(issues).toMatch(/log\.level/);
  });

  it('checks rules between fields', () => {
    expect(() => loadConfig({ env: { COURTCAST_DELAY_MIN: '60', COURTCAST_DELAY_MAX: '30' } })).toThrow(/delay\.minSeconds/);
    expect(() => loadConfig({ env: { COURTCAST_LADDER: '[{"name":"a"},{"name":"a"}]' } })).toThrow(/unique|video rung/);
    expect(() => loadConfig({ env: { COURTCAST_LADDER: '[{"name":"x","height":360}]' } })).toThrow(/height and videoKbps/);
  });

  it('rejects unknown keys in a config file layer', () => {
    expect(() => loadConfig({ env: {}, overrides: { http: { prot: 1 } } })).toThrow(/http/);
  });

  it('reads the archive store settings, and says what an S3 archive lacks', () => {
    expect(loadConfig({ env: {} }).archive).toMatchObject({ store: 'local', presignSeconds: 300 });
    const s3 = loadConfig({
      env: { COURTCAST_ARCHIVE_STORE: 's3', COURTCAST_S3_BUCKET: 'court-archive', COURTCAST_S3_ENDPOINT: 'http://minio:9000', COURTCAST_S3_FORCE_PATH_STYLE: 'false', COURTCAST_S3_PART_SIZE_MB: '16' },
    });
    expect(s3.archive.s3).toMatchObject({ bucket: 'court-archive', region: 'us-east-1', endpoint: 'http://minio:9000', forcePathStyle: false, partSizeMb: 16 });
    expect(loadConfig({ env: { COURTCAST_ARCHIVE_STORE: 's3', COURTCAST_S3_BUCKET: 'b-1', COURTCAST_S3_FORCE_PATH_STYLE: 'true' } }).archive.s3?.forcePathStyle).toBe(true);
    expect(() => loadConfig({ env: { COURTCAST_ARCHIVE_STORE: 's3' } })).toThrow(/archive\.s3\.bucket/);
    expect(() => loadConfig({ env: { COURTCAST_ARCHIVE_STORE: 's3', COURTCAST_S3_BUCKET: 'b-1', COURTCAST_S3_ACCESS_KEY_ID: 'only-one' } })).toThrow(/secretAccessKey/);
    expect(() => loadConfig({ env: { COURTCAST_S3_BUCKET: 'b-1', COURTCAST_S3_FORCE_PATH_STYLE: 'yes' } })).toThrow(/forcePathStyle/);
    expect(() => loadConfig({ env: { COURTCAST_ARCHIVE_SIGNING_KEY: 'not a key' } })).toThrow(/signingKey/);
  });
});
