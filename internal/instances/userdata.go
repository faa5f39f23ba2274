package instances

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxUserData bounds what a decompressed user data may grow to (EC2
// takes 16 KB before base64; gzip may hide more, cloud-init reads it
// whole).
const maxUserData = 1 << 20

// userData is user data as cloud-init reads it: shell scripts (run once,
// at the first boot), boot hooks (every boot), cloud-config, and the
// parts it does not handle.
type userData struct {
	scripts   []part
	boothooks []part
	config    cloudConfig
	unhandled []string
}

type part struct {
	name string
	body []byte
}

// cloudConfig is the part of cloud-config niwa acts on.
type cloudConfig struct {
	Bootcmd    []command   `yaml:"bootcmd"`
	Runcmd     []command   `yaml:"runcmd"`
	WriteFiles []writeFile `yaml:"write_files"`
	Packages   []any       `yaml:"packages"`
	Update     bool        `yaml:"package_update"`
	Upgrade    bool        `yaml:"package_upgrade"`
}

// command is one runcmd or bootcmd entry: a string is a shell line, a
// list is an argv cloud-init quotes.
type command struct{ line string }

func (c *command) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		c.line = n.Value
		return nil
	case yaml.SequenceNode:
		var argv []string
		if err := n.Decode(&argv); err != nil {
			return err
		}
		q := make([]string, len(argv))
		for i, a := range argv {
			q[i] = shellQuote(a)
		}
		c.line = strings.Join(q, " ")
		return nil
	}
	return fmt.Errorf("line %d: a command is a string or a list", n.Line)
}

type writeFile struct {
	Path        string `yaml:"path"`
	Content     string `yaml:"content"`
	Encoding    string `yaml:"encoding"`
	Permissions string `yaml:"permissions"`
	Append      bool   `yaml:"append"`
	Defer       bool   `yaml:"defer"`
}

// data is the file's content, decoded as its encoding says.
func (w writeFile) data() ([]byte, error) {
	switch strings.ToLower(w.Encoding) {
	case "", "text/plain":
		return []byte(w.Content), nil
	case "b64", "base64":
		return base64.StdEncoding.DecodeString(strings.TrimSpace(w.Content))
	case "gz", "gzip":
		return gunzip([]byte(w.Content))
	case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(w.Content))
		if err != nil {
			return nil, err
		}
		return gunzip(b)
	}
	return nil, fmt.Errorf("unknown encoding %q", w.Encoding)
}

// mode is the file's permissions (default 0644).
func (w writeFile) mode() (uint32, error) {
	if w.Permissions == "" {
		return 0o644, nil
	}
	m, err := strconv.ParseUint(w.Permissions, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("bad permissions %q", w.Permissions)
	}
	return uint32(m), nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxUserData+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxUserData {
		return nil, fmt.Errorf("decompressed user data is larger than %d bytes", maxUserData)
	}
	return out, nil
}

// parseUserData reads user data the way cloud-init does: gzip is
// undone, MIME multipart is split, and each part is dispatched on its
// first line (#!, #cloud-config, #cloud-boothook) or its content type.
// Errors name what could not be read; the rest still runs.
func parseUserData(raw []byte) (userData, []error) {
	var ud userData
	var errs []error
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		b, err := gunzip(raw)
		if err != nil {
			return ud, []error{fmt.Errorf("user data: %v", err)}
		}
		raw = b
	}
	ud.add(raw, "", "part-001", &errs, 0)
	return ud, errs
}

func (ud *userData) add(b []byte, ctype, name string, errs *[]error, depth int) {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	first := string(trimmed)
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = strings.TrimSpace(first)
	switch {
	case len(trimmed) == 0:
		return
	case strings.HasPrefix(first, "#!") || ctype == "text/x-shellscript":
		ud.scripts = append(ud.scripts, part{name: name, body: b})
	case strings.HasPrefix(first, "#cloud-config") || ctype == "text/cloud-config":
		var c cloudConfig
		if err := yaml.Unmarshal(b, &c); err != nil {
			*errs = append(*errs, fmt.Errorf("cloud-config: %v", err))
			return
		}
		ud.config.Bootcmd = append(ud.config.Bootcmd, c.Bootcmd...)
		ud.config.Runcmd = append(ud.config.Runcmd, c.Runcmd...)
		ud.config.WriteFiles = append(ud.config.WriteFiles, c.WriteFiles...)
		ud.config.Packages = append(ud.config.Packages, c.Packages...)
		ud.config.Update = ud.config.Update || c.Update
		ud.config.Upgrade = ud.config.Upgrade || c.Upgrade
	case strings.HasPrefix(first, "#cloud-boothook") || ctype == "text/cloud-boothook":
		ud.boothooks = append(ud.boothooks, part{name: name, body: b})
	case depth == 0 && (strings.HasPrefix(strings.ToLower(first), "content-type:") || strings.HasPrefix(strings.ToLower(first), "mime-version:")):
		ud.multipart(b, errs, depth)
	default:
		ud.unhandled = append(ud.unhandled, name)
	}
}

// multipart splits a MIME multipart user data into its parts.
func (ud *userData) multipart(b []byte, errs *[]error, depth int) {
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		*errs = append(*errs, fmt.Errorf("user data: %v", err))
		return
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		ud.unhandled = append(ud.unhandled, "part-001")
		return
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i := 1; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			*errs = append(*errs, fmt.Errorf("user data: %v", err))
			return
		}
		body, err := io.ReadAll(io.LimitReader(p, maxUserData))
		if err != nil {
			*errs = append(*errs, fmt.Errorf("user data: %v", err))
			return
		}
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			if d, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(body), nil))); err == nil {
				body = d
			}
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		name := p.FileName()
		if name == "" {
			name = fmt.Sprintf("part-%03d", i)
		}
		ud.add(body, ct, name, errs, depth+1)
	}
}

// shellQuote quotes s for sh, as cloud-init quotes list commands.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// script is a list of commands as the sh script cloud-init writes.
func script(cmds []command) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, c := range cmds {
		b.WriteString(c.line)
		b.WriteString("\n")
	}
	return []byte(b.String())
}
