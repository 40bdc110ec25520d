// Package allthreads registers libpsx as the engine's all-threads system
// call on Linux (see allthreads_linux.go); elsewhere it is empty.
package allthreads
