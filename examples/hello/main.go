// Command hello is the smallest pledge demo: it pledges "stdio rpath",
// reads a file and runs goroutines, then opens a socket, which "inet"
// would allow, and is stopped with a message naming socket(2) and "inet".
package main

import (
	"fmt"
	"log"
	"net"
	"os"
	"sync"

	"github.com/pledgekit/pledgekit/pledge"
)

func main() {
	if err := pledge.Pledge("stdio rpath", ""); err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile("/etc/hostname")
	fmt.Printf("read /etc/hostname: %d bytes, err=%v\n", len(b), err)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { fmt.Println("goroutine", i, "ran") })
	}
	wg.Wait()
	fmt.Println("dialing example.org:80 ...")
	net.Dial("tcp", "example.org:80")
	fmt.Println("not reached")
}
