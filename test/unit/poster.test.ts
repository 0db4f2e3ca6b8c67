import { describe, expect, it } from 'vitest';
import { cardSpec, fitLines, frameSpec } from '../../server/media/poster.ts';
import { specToArgs } from '../../server/media/spec.ts';

describe('poster pictures', () => {
  it('breaks a title at spaces, or between Chinese characters, and ends what does not fit with an ellipsis', () => {
    expect(fitLines('Smith v. Jones', 40, 2)).toEqual(['Smith v. Jones']);
    expect(fitLines('The People v. A Very Long Named Defendant Company Limited', 20, 2)).toEqual(['The People v. A Very', 'Long Named…']);
    expect(fitLines('张三诉李四民间借贷纠纷一案', 10, 2)).toEqual(['张三诉李四', '民间借贷…']);
    expect(fitLines('短标题', 10, 2)).toEqual(['短标题']);
    // Text without spaces breaks anywhere, as Chinese does.
    expect(fitLines('Supercalifragilisticexpialidocious', 10, 2)).toEqual(['Supercalif', 'ragilisti…']);
  });

  it('reads card text from files with expansion off and refuses paths that would need quoting', () => {
    const args = specToArgs(cardSpec({ lines: [{ textFile: '/tmp/p/l0.txt', size: 0.06 }, { textFile: '/tmp/p/l1.txt', size: 0.04, fontFile: '/usr/share/fonts/wqy.ttc' }], outFile: '/tmp/p/out.jpg' }));
    const vf = args[args.indexOf('-vf') + 1]!;
    expect(vf.match(/drawtext=textfile=\/tmp\/p\/l\d\.txt:expansion=none/g)).toHaveLength(2);
    expect(vf).toContain('fontfile=/usr/share/fonts/wqy.ttc');
    expect(() => cardSpec({ lines: [{ textFile: "/tmp/it's:x.txt", size: 0.05 }], outFile: '/o.jpg' })).toThrow(/text file/);
    expect(specToArgs(frameSpec({ segmentFile: '/s.ts', at: 1, outFile: '/o.jpg' }))).toContain('-frames:v');
  });
});
