// Command tput measures TCP throughput for topo's end-to-end tests,
// run inside lab nodes with `topo exec`:
//
//	tput recv ADDR:PORT      accept one connection, print "ready" once
//	                         listening, then "BYTES SECONDS" at its end
//	tput send ADDR:PORT DUR  send as fast as the network allows for DUR
//
// The receiver's clock starts at the first chunk it reads (not counted)
// and stops at the last, so the figure is the shaped goodput.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tput:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "recv":
		return recv(args[1])
	case len(args) == 3 && args[0] == "send":
		d, err := time.ParseDuration(args[2])
		if err != nil {
			return err
		}
		return send(args[1], d)
	}
	return fmt.Errorf("usage: tput recv ADDR:PORT | tput send ADDR:PORT DURATION")
}

func recv(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println("ready")
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	var n int64
	var first, last time.Time
	buf := make([]byte, 256<<10)
	for {
		k, err := c.Read(buf)
		if k > 0 {
			now := time.Now()
			if first.IsZero() {
				first = now
			} else {
				n += int64(k)
			}
			last = now
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	fmt.Printf("%d %.6f\n", n, last.Sub(first).Seconds())
	return nil
}

func send(addr string, d time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for start := time.Now(); time.Since(start) < d; {
		if _, err := c.Write(buf); err != nil {
			return err
		}
	}
	return c.Close()
}
