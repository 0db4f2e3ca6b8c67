/**
 * glibc malloc settings for FFmpeg children. Filters that draw on a frame (overlay, drawbox) first
 * make it writable, which allocates a whole new frame outside FFmpeg's buffer pools; at 720p that
 * is above glibc's mmap threshold, so every frame became a fresh mapping, faulted in page by page
 * and unmapped again. Through the live mask slots that was 143,000 page faults for 300 frames and
 * about 1.5 ms of CPU per overlay per frame, with every slot off: the slots cost a third of the
 * ladder. With large blocks kept on the heap the same 300 frames fault 12,000 times, the slots'
 * cost all but vanishes, and FFmpeg's peak memory grows by about 6 MB (docs/benchmarks.md).
 */
export const FFMPEG_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864';

/**
 * Gives FFmpeg children the tunables through the environment they inherit (fluent-ffmpeg spawns
 * with the parent's environment and takes none of its own). An operator's own GLIBC_TUNABLES is
 * left alone; other C libraries ignore the variable.
 */
export function tuneChildMalloc(env: NodeJS.ProcessEnv = process.env): void {
  if (env.GLIBC_TUNABLES === undefined) env.GLIBC_TUNABLES = FFMPEG_MALLOC_TUNABLES;
}
