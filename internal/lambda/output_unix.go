//go:build unix

package lambda

import (
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
)

// output reads a runtime's stdout and stderr (one pipe) line by line.
// Every read happens under mu, so drain — called once the runtime has
// posted its result — can read whatever is still in the pipe itself and
// know that every byte the runtime wrote before posting has been turned
// into lines: nothing races between a read and its processing.
type output struct {
	f    *os.File
	emit func(string)
	mu   sync.Mutex
	buf  []byte
	part string
	eof  bool
}

func newOutput(f *os.File, emit func(string)) *output {
	return &output{f: f, emit: emit, buf: make([]byte, 64*1024)}
}

// run reads until the runtime closes its end.
func (o *output) run() {
	defer func() { _ = o.f.Close() }()
	rc, err := o.f.SyscallConn()
	if err != nil {
		return
	}
	for {
		var done bool
		err := rc.Read(func(fd uintptr) bool {
			o.mu.Lock()
			defer o.mu.Unlock()
			done = o.readAvailable(int(fd))
			return done
		})
		if err != nil || o.isEOF() {
			o.mu.Lock()
			o.flushPartial()
			o.mu.Unlock()
			return
		}
	}
}

func (o *output) isEOF() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.eof
}

// readAvailable reads what the pipe holds; it reports true at EOF or on
// an error, false when the pipe is empty (wait for more). o.mu is held.
func (o *output) readAvailable(fd int) bool {
	for {
		n, err := syscall.Read(fd, o.buf)
		if n > 0 {
			o.lines(string(o.buf[:n]))
			continue
		}
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			return false
		}
		o.eof = true
		return true
	}
}

func (o *output) lines(chunk string) {
	chunk = o.part + chunk
	for {
		i := strings.IndexByte(chunk, '\n')
		if i < 0 {
			break
		}
		o.emit(chunk[:i])
		chunk = chunk[i+1:]
	}
	o.part = chunk
}

func (o *output) flushPartial() {
	if o.part != "" {
		o.emit(o.part)
		o.part = ""
	}
}

// drain takes in everything the runtime has written so far, including a
// last line without a newline.
func (o *output) drain() {
	rc, err := o.f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if !o.eof {
			o.readAvailable(int(fd))
		}
		o.flushPartial()
	})
}
