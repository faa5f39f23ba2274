package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// loadReflect is the loader Load replaced: encoding/json into the raw
// structs (structure members decoded a second time to keep their order),
// then the same build. Load must return what it returns.
func loadReflect(data []byte) (*Service, error) {
	var raw rawService
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	p := &parsed{meta: raw.Metadata.Metadata, queryCompatible: queryCompatible(raw.Metadata.RawAWSQueryCompatible)}
	for name, rs := range raw.Shapes {
		p.shapes = append(p.shapes, namedShape{name, *rs})
	}
	for name, ro := range raw.Operations {
		p.ops = append(p.ops, namedOp{name, *ro})
	}
	return build(p)
}

func equivalent(t *testing.T, what string, data []byte) {
	t.Helper()
	want, werr := loadReflect(data)
	got, gerr := Load(data)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: Load error %v, the reflecting loader's %v", what, gerr, werr)
	}
	if werr != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		for name, sh := range want.Shapes {
			if !reflect.DeepEqual(got.Shapes[name], sh) {
				t.Fatalf("%s: shape %s loads as %+v, want %+v", what, name, got.Shapes[name], sh)
			}
		}
		for name, op := range want.Operations {
			if !reflect.DeepEqual(got.Operations[name], op) {
				t.Fatalf("%s: operation %s loads as %+v, want %+v", what, name, got.Operations[name], op)
			}
		}
		t.Fatalf("%s: metadata %+v, want %+v", what, got.Metadata, want.Metadata)
	}
}

// Every model niwa embeds, every model aws-sdk-go ships (documentation
// and all: what the scanner skips unread), SQS's query model and every
// protocol test vector's shapes load to the same *Service as with
// encoding/json: member order, XML/JSON names, flattened, locations,
// timestamp formats, enums, min/max/pattern, error shapes, metadata.
func TestLoadMatchesReflectingLoader(t *testing.T) {
	embedded, _ := filepath.Glob(filepath.Join("..", "api", "*", "model.json"))
	if len(embedded) < 20 {
		t.Fatalf("found %d embedded models", len(embedded))
	}
	full, _ := filepath.Glob(filepath.Join(sdkModels(t), "apis", "*", "*", "api-2.json"))
	if len(full) < 100 {
		t.Fatalf("found %d aws-sdk-go models", len(full))
	}
	files := append(embedded, full...)
	files = append(files, filepath.Join("..", "service", "sqs", "querymodel", "api-2.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		equivalent(t, f, data)
	}
	vectors, _ := filepath.Glob(filepath.Join(sdkModels(t), "protocol_tests", "*", "*.json"))
	for _, f := range vectors {
		data, _ := os.ReadFile(f)
		var suites []struct {
			Metadata json.RawMessage `json:"metadata"`
			Shapes   json.RawMessage `json:"shapes"`
			Cases    []struct {
				Given json.RawMessage `json:"given"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(data, &suites); err != nil {
			t.Fatal(err)
		}
		for i, s := range suites {
			for k, c := range s.Cases {
				// As protocoltest builds each case's model.
				doc := `{"metadata":` + string(s.Metadata) + `,"shapes":` + string(s.Shapes) +
					`,"operations":{"Op":` + string(c.Given) + `}}`
				equivalent(t, fmt.Sprintf("%s suite %d case %d", f, i, k), []byte(doc))
			}
		}
	}
}

// FuzzLoad: any input loads or fails with an error, never a panic or a
// hang, and whatever loads loads as with encoding/json.
func FuzzLoad(f *testing.F) {
	sts, err := os.ReadFile(filepath.Join("..", "api", "sts", "model.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sts)
	f.Add([]byte(`{"metadata":{"protocol":"rest-xml","awsQueryCompatible":{}},"operations":{"Op":{"http":{"method":"PUT","requestUri":"/{B}/{K+}?x","responseCode":200},` +
		`"input":{"shape":"S","payload":"P"},"errors":[{"shape":"E"}],"endpoint":{"hostPrefix":"{A}."},"httpChecksum":{"requestAlgorithmMember":"A","responseAlgorithms":["CRC32"]}}},` +
		`"shapes":{"S":{"type":"structure","required":["B"],"members":{"B":{"shape":"T","location":"uri","locationName":"B"},"K":{"shape":"T","LocationName":"K","location":"uri"},` +
		`"P":{"shape":"L","xmlNamespace":{"uri":"u\u00e9\ud83d\ude00"}}}},"T":{"type":"string","min":1,"max":1e3,"pattern":"^[\\w]+$","enum":["a","b\n"]},` +
		`"L":{"type":"list","member":{"shape":"T"},"flattened":true},"M":{"type":"map","key":{"shape":"T"},"value":{"shape":"T"}},` +
		`"E":{"type":"structure","members":{},"exception":true,"error":{"code":"E","httpStatusCode":400,"senderFault":true}},"D":{"type":"structure","document":true,"documentation":"<p>x</p>"}}}`))
	f.Add([]byte(`{"shapes":{"A":{"type":"list"}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		equivalent(t, "fuzz input", data)
	})
}

// Trim, which the generator writes model.json with, is a fixed point on
// what it wrote: the embedded models are byte for byte what it writes
// now (its raw structs are the scanner's too; a shape's "members" stays
// written, {} when empty, as it always was).
func TestTrimReproducesEmbeddedModels(t *testing.T) {
	embedded, _ := filepath.Glob(filepath.Join("..", "api", "*", "model.json"))
	for _, f := range embedded {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Trim(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(data)) {
			t.Errorf("%s: Trim does not reproduce it (%d bytes, was %d)", f, len(out), len(data))
		}
	}
}
