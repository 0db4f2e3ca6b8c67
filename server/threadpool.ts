/**
 * libuv's thread pool serves every asynchronous file operation, DNS lookup and scrypt hash of the
 * process, and it is sized once, on first use. Four threads (the default) let a few slow jobs
 * stall media I/O; this module is imported first by the entry point so the pool is larger before
 * anything starts. An operator's own UV_THREADPOOL_SIZE wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
