import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Debian's nginx serving `root` at /hls/ with one worker, as the baseline the benchmarks compare
 * Courtcast with. Resolves once it listens; the function it resolves to stops it.
 */
export async function startNginx(root: string, port: number, connections = 1024): Promise<() => void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-nginx-'));
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root; ' : ''}daemon off; worker_processes 1; worker_rlimit_nofile ${connections * 2}; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location /hls/ { alias ${root}/; add_header Cache-Control "public, max-age=1"; } }
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await sleep(500);
  return () => {
    child.kill('SIGTERM');
    void rm(dir, { recursive: true, force: true });
  };
}

