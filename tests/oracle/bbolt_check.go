// bbolt_check: the test oracle of the mutation campaign (tests/inspect/mutation_test.cc). It
// opens a file read-only with the real go.etcd.io/bbolt 1.3.6, runs tx.Check() and then walks
// every bucket, nested ones included, with ForEach, the way etcd and etcdctl read a backend.
// It prints one line and exits:
//
//	0  "ok"
//	1  "fail: ..."            bbolt refused to open the file or tx.Check() reported errors
//	2  "panic: ..."           bbolt panicked or faulted: it cannot walk the file
//	3  "cannot walk: ..."     the walk ran past the time or memory limit (a cycle)
//
// A fault in bbolt's own goroutines (tx.Check runs in one) ends the process with Go's exit
// status 2, as a panic does. Built at test time (tests/inspect/CMakeLists.txt), never shipped.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	timeLimit   = 2 * time.Second
	memoryLimit = 32 << 20
	maxDepth    = 64
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bbolt_check FILE")
		os.Exit(64)
	}
	// A self-referencing branch makes bbolt recurse (Check) or grow its cursor stack (walk)
	// without end: fail fast instead of eating the machine.
	debug.SetMaxStack(64 << 20)
	debug.SetPanicOnFault(true)
	go watchdog()
	os.Exit(run(os.Args[1]))
}

func watchdog() {
	start := time.Now()
	var m runtime.MemStats
	for {
		time.Sleep(5 * time.Millisecond)
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > memoryLimit {
			fmt.Println("cannot walk: more than 32 MiB of heap")
			os.Exit(3)
		}
		if time.Since(start) > timeLimit {
			fmt.Println("cannot walk: still running after 2s")
			os.Exit(3)
		}
	}
}

func run(path string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("panic: %v\n", r)
			code = 2
		}
	}()
	db, err := bolt.Open(path, 0400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		fmt.Printf("fail: open: %v\n", err)
		return 1
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		if len(errs) > 0 {
			return fmt.Errorf("check: %d errors, first: %v", len(errs), errs[0])
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if b == nil {
				return fmt.Errorf("root entry %q is not a bucket", name)
			}
			return walk(b, 1)
		})
	})
	if err != nil {
		fmt.Printf("fail: %v\n", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

func walk(b *bolt.Bucket, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("buckets nested more than %d deep", maxDepth)
	}
	return b.ForEach(func(k, v []byte) error {
		if v != nil {
			return nil
		}
		child := b.Bucket(k)
		if child == nil {
			return fmt.Errorf("bucket %q: listed but cannot be opened", k)
		}
		return walk(child, depth+1)
	})
}
