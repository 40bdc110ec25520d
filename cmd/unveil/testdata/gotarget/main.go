// Command gotarget is a static (CGO_ENABLED=0) Go program the tests run
// under unveil: each argument pair is one action, done in order; the first
// failure ends it with exit status 1 and the error on standard error.
//
//	read PATH    print the file
//	write PATH   create or truncate the file and write "x"
//	tcp ADDR     connect to a TCP address
//	exec PATH    execve PATH (with no arguments)
//	remove PATH  remove the file
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

func main() {
	args := os.Args[1:]
	for len(args) >= 2 {
		op, arg := args[0], args[1]
		args = args[2:]
		var err error
		switch op {
		case "read":
			var b []byte
			if b, err = os.ReadFile(arg); err == nil {
				os.Stdout.Write(b)
			}
		case "write":
			err = os.WriteFile(arg, []byte("x"), 0o644)
		case "tcp":
			var c net.Conn
			if c, err = net.Dial("tcp", arg); err == nil {
				c.Close()
			}
		case "remove":
			err = os.Remove(arg)
		case "exec":
			err = syscall.Exec(arg, []string{arg}, nil)
		default:
			err = fmt.Errorf("unknown action %q", op)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gotarget: %s %s: %v\n", op, arg, err)
			os.Exit(1)
		}
	}
}
