package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// catalogFile writes internal/api/catalog/entries.go: the metadata of
// EVERY service in models/apis (not only those niwa implements), so the
// gateway knows each AWS service by name, signing name, X-Amz-Target
// prefix and protocol, and can answer a request for one niwa lacks in that
// service's own protocol.
func catalogFile(modelsDir string) ([]byte, error) {
	dirs, err := os.ReadDir(modelsDir)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	buf.WriteString("package catalog\n\nimport \"github.com/niwa-cloud/niwa/internal/model\"\n\n")
	buf.WriteString("// Entries returns every service of the aws-sdk-go v1 models, sorted by\n// model directory, with internal/codegen's protocol patches applied.\nfunc Entries() []Entry {\n\treturn []Entry{\n")
	type entry struct {
		dir, uriPrefix string
		md             model.Metadata
	}
	var entries []entry
	fullNames := map[string]int{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		versions, err := filepath.Glob(filepath.Join(modelsDir, d.Name(), "*", "api-2.json"))
		if err != nil || len(versions) == 0 {
			continue
		}
		sort.Strings(versions)
		raw, err := os.ReadFile(versions[len(versions)-1])
		if err != nil {
			return nil, err
		}
		if raw, err = patchMetadata(d.Name(), raw); err != nil {
			return nil, err
		}
		var doc struct {
			Metadata struct {
				model.Metadata
				QueryCompatible json.RawMessage `json:"awsQueryCompatible"`
			} `json:"metadata"`
			Operations map[string]struct {
				HTTP struct {
					RequestURI string `json:"requestUri"`
				} `json:"http"`
			} `json:"operations"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name(), err)
		}
		md := doc.Metadata.Metadata
		md.AWSQueryCompatible = len(doc.Metadata.QueryCompatible) > 0 && string(doc.Metadata.QueryCompatible) != "null"
		var uris []string
		for _, op := range doc.Operations {
			uris = append(uris, op.HTTP.RequestURI)
		}
		e := entry{dir: d.Name(), md: md}
		if strings.HasPrefix(md.Protocol, "rest-") {
			if p := uriPrefix(uris); p != "/" {
				e.uriPrefix = p
			}
		}
		entries = append(entries, e)
		fullNames[md.ServiceFullName]++
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("no models under %s", modelsDir)
	}
	for _, e := range entries {
		fmt.Fprintf(&buf, "\t\t{Model: %q, Title: %q, ", e.dir, title(e.md, fullNames[e.md.ServiceFullName] > 1))
		if e.uriPrefix != "" {
			fmt.Fprintf(&buf, "URIPrefix: %q, ", e.uriPrefix)
		}
		fmt.Fprintf(&buf, "Metadata: %s},\n", metadataLiteral(e.md))
	}
	buf.WriteString("\t}\n}\n")
	return (&gen{}).format(&buf)
}

// title is how a message names a service: its serviceFullName ("Amazon
// Athena"), unless another model has the same full name (Elastic Load
// Balancing v1 and v2, SES v1 and v2); then the serviceId where it
// extends the full name ("Elastic Load Balancing v2"), else both
// ("Amazon Simple Email Service (SESv2)").
func title(md model.Metadata, sharedFullName bool) string {
	switch {
	case md.ServiceFullName == "":
		return md.ServiceID
	case !sharedFullName || md.ServiceID == "":
		return md.ServiceFullName
	case strings.HasPrefix(md.ServiceID, md.ServiceFullName):
		return md.ServiceID
	}
	return md.ServiceFullName + " (" + md.ServiceID + ")"
}

// metadataLiteral prints md as a model.Metadata literal naming only its
// non-zero fields, which keeps ~400 entries readable.
func metadataLiteral(md model.Metadata) string {
	v := reflect.ValueOf(md)
	var parts []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch v.Type().Field(i).Name {
		case "UID", "ChecksumFormat", "GlobalEndpoint", "SignatureVersion":
			continue // nothing routes or answers by these
		}
		if f.IsZero() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %#v", v.Type().Field(i).Name, f.Interface()))
	}
	return "model.Metadata{" + strings.Join(parts, ", ") + "}"
}

// uriPrefix is the literal path every request URI of a REST service
// starts with ("/v2/email/" for SES v2), "/" when they share none. It
// tells apart REST services that share a signing name.
func uriPrefix(uris []string) string {
	var common []string
	for i, u := range uris {
		u, _, _ = strings.Cut(u, "?")
		var segs []string
		for _, s := range strings.Split(strings.Trim(u, "/"), "/") {
			if s == "" || strings.ContainsAny(s, "{}+") {
				break
			}
			segs = append(segs, s)
		}
		// Only whole segments followed by more path count: the last
		// segment of a URI is usually the operation's resource.
		if len(segs) > 0 && len(segs) == len(strings.Split(strings.Trim(u, "/"), "/")) {
			segs = segs[:len(segs)-1]
		}
		if i == 0 {
			common = segs
			continue
		}
		k := 0
		for k < len(common) && k < len(segs) && common[k] == segs[k] {
			k++
		}
		common = common[:k]
	}
	if len(common) == 0 {
		return "/"
	}
	return "/" + strings.Join(common, "/") + "/"
}
