// Package allthreads is libpsx's all-threads system call (Call, Linux
// only), which package unveil registers with the engine.
package allthreads
