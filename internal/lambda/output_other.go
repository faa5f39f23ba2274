//go:build !unix

package lambda

import (
	"bufio"
	"os"
	"strings"
	"time"
)

// output reads a runtime's output line by line. Without non-blocking
// reads, drain only gives the reader a moment to catch up.
type output struct {
	f    *os.File
	emit func(string)
}

func newOutput(f *os.File, emit func(string)) *output { return &output{f: f, emit: emit} }

func (o *output) run() {
	defer o.f.Close()
	br := bufio.NewReader(o.f)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			o.emit(strings.TrimRight(line, "\n"))
		}
		if err != nil {
			return
		}
	}
}

func (o *output) drain() { time.Sleep(5 * time.Millisecond) }
