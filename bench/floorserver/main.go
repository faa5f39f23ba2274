// Command floorserver is the bench's trivial HTTP server in a binary of
// its own (bench/internal/floor's handler and nothing else): the bench
// measures its start-up to first answer beside niwa's, the least a Go
// HTTP server takes to start on the machine the bench runs on.
//
//	go build -o /tmp/floorserver ./bench/floorserver && /tmp/floorserver -port 4599
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"github.com/niwa-cloud/niwa/bench/internal/floor"
)

func main() {
	port := flag.Int("port", 4599, "port to listen on, on 127.0.0.1")
	flag.Parse()
	if err := http.ListenAndServe("127.0.0.1:"+strconv.Itoa(*port), floor.Handler()); err != nil {
		fmt.Fprintln(os.Stderr, "floorserver:", err)
		os.Exit(1)
	}
}
