package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strconv"
	"time"
)

// serveProtoFloor runs the prototype floor (`-proto-floor`): the trivial
// server's answers (floorHandler's) from a minimal HTTP/1.1 server instead
// of net/http, to measure what net/http itself costs per request for the
// same exchange (docs/performance.md, "Outside the handler"). It is a
// measuring tool, not a server niwa could use: it reads Content-Length
// bodies only (a chunked request gets 501 and the connection closed),
// keeps no header map, sets no deadlines and has no background read
// (net/http's way of noticing a client that went away mid-handler).
func serveProtoFloor(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go protoFloorConn(c)
	}
}

var errProtoFloor = errors.New("prototype floor: malformed request")

func protoFloorConn(c net.Conn) {
	defer func() { _ = c.Close() }()
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	var date []byte
	for {
		keep, err := protoFloorRequest(br, bw, &date)
		if err != nil || bw.Flush() != nil || !keep {
			return
		}
	}
}

// protoFloorRequest reads one request from br and writes the trivial
// server's answer to bw; keep is false when the connection must close.
func protoFloorRequest(br *bufio.Reader, bw *bufio.Writer, date *[]byte) (keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if !bytes.HasSuffix(line, []byte(" HTTP/1.1\r\n")) {
		return false, errProtoFloor
	}
	length, form, chunked, closing := 0, false, false, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(h) <= 2 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return false, errProtoFloor
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return false, errProtoFloor
			}
		case bytes.EqualFold(name, []byte("Content-Type")):
			form = bytes.HasPrefix(value, []byte("application/x-www-form-urlencoded"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	if chunked {
		_, _ = bw.WriteString("HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return false, nil
	}
	if _, err := br.Discard(length); err != nil {
		return false, err
	}
	body, ctype := floorBody, "application/json"
	if form {
		body, ctype = floorSTSBody, "text/xml"
	}
	*date = time.Now().UTC().AppendFormat((*date)[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	_, _ = bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: ")
	_, _ = bw.WriteString(strconv.Itoa(len(body)))
	_, _ = bw.WriteString("\r\nContent-Type: ")
	_, _ = bw.WriteString(ctype)
	_, _ = bw.WriteString("\r\nDate: ")
	_, _ = bw.Write(*date)
	_, _ = bw.WriteString("\r\n\r\n")
	_, _ = bw.Write(body)
	return !closing, nil
}
