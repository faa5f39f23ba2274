//go:build linux && !race

package httpserve

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// sock reads and writes a plain TCP (or Unix) connection with raw system
// calls on its non-blocking socket, through the connection's own
// syscall.RawConn: the runtime's poller still parks the goroutine when
// the socket has nothing to read (or no room to write), and the
// connection's deadlines still hold, but a read or write that does not
// block is not announced to the scheduler as a system call.
//
// Why: a server that answers one client at a time is idle between
// requests, and while every P is idle the runtime's monitor thread
// (sysmon) sleeps; the first system call announced after that wakes it
// (a futex wake, and a thread switch), and it then polls every 20 µs
// until the process is idle again — a wake-up, a few nanosleeps and
// thread switches per request, and sometimes a P taken back from the
// read or write and handed to another thread. Measured on a 2-vCPU VM
// (docs/performance.md, "Reads and writes that do not wake the
// runtime's monitor"): 0.4–0.5 futex calls, 0.5–0.6 nanosleeps and
// about one thread switch per SDK request, nearly all gone with raw
// reads and writes. A socket read or write never blocks here (the
// socket is non-blocking; EAGAIN parks in the poller), so not announcing
// it costs the scheduler nothing.
//
// Only for *net.TCPConn and *net.UnixConn: a wrapping net.Conn may read
// or write more than the socket (TLS, a peeked buffer), and is used as
// it is. Not under the race detector, whose annotations of read and
// write (the happens-before edge from a write to the read of its bytes
// in the same process) only the syscall package's functions make.
type sock struct {
	rc   syscall.RawConn
	conn net.Conn
	rd   rawRead
	wr   rawWrite
}

// maxRW is the most one read or write asks the kernel for, as in
// internal/poll.
const maxRW = 1 << 30

// rawOp is a read or write in progress: its buffer (what is left of it,
// for a write), the bytes done, the errno that ended it, and the
// function RawConn calls with the socket (bound once per connection, so
// that a call allocates no closure).
type rawOp struct {
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

type rawRead struct{ rawOp }

func (r *rawRead) once(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.p))), uintptr(len(r.p)))
		switch e {
		case 0:
			r.n = int(n)
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.errno = e
			return true
		}
	}
}

type rawWrite struct{ rawOp }

func (w *rawWrite) once(fd uintptr) bool {
	for len(w.p) > 0 {
		chunk := w.p
		if len(chunk) > maxRW {
			chunk = chunk[:maxRW]
		}
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(chunk))), uintptr(len(chunk)))
		switch e {
		case 0:
			w.n += int(n)
			w.p = w.p[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
	}
	return true
}

// newSock is c's raw reader and writer, or nil when c is not a socket
// niwa reads directly.
func newSock(c net.Conn) *sock {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	s := &sock{rc: rc, conn: c}
	s.rd.fn = s.rd.once
	s.wr.fn = s.wr.once
	return s
}

// read is net.Conn's Read: io.EOF at the end, errors as *net.OpError.
// Not called concurrently with itself (connReader's inRead).
func (s *sock) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxRW {
		p = p[:maxRW]
	}
	s.rd.p, s.rd.n, s.rd.errno = p, 0, 0
	n, err := s.finish(&s.rd.rawOp, "read", s.rc.Read(s.rd.fn))
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

// write is net.Conn's Write: all of p, or an error. Not called
// concurrently with itself (the connection's one buffered writer).
func (s *sock) write(p []byte) (int, error) {
	s.wr.p, s.wr.n, s.wr.errno = p, 0, 0
	return s.finish(&s.wr.rawOp, "write", s.rc.Write(s.wr.fn))
}

// finish is what a read or write returns once RawConn's Read or Write
// came back with err: the bytes done and net.Conn's error, if any.
func (s *sock) finish(o *rawOp, op string, err error) (int, error) {
	n, errno := o.n, o.errno
	o.p = nil
	switch {
	case err != nil:
		return n, s.opError(op, err)
	case errno != 0:
		return n, s.opError(op, os.NewSyscallError(op, errno))
	}
	return n, nil
}

// opError is the error net.Conn's Read or Write would have returned:
// RawConn's own (a deadline, a closed connection) come as op "raw-read"
// or "raw-write", unwrapped here to the op net.Conn names.
func (s *sock) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: s.conn.LocalAddr().Network(), Source: s.conn.LocalAddr(), Addr: s.conn.RemoteAddr(), Err: err}
}
