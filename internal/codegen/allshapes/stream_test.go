package allshapes

import (
	"context"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/model"
)

// TestEventStreamToDynamic: an output's event stream member becomes a
// model.EventStream whose events are the same dynamic values through the
// generated ToDynamic as through api.Reflect; a nil stream is absent.
func TestEventStreamToDynamic(t *testing.T) {
	out := &s3api.SelectObjectContentOutput{
		Payload: func(ctx context.Context, send func(*s3api.SelectObjectContentEventStream) error) error {
			if err := send(&s3api.SelectObjectContentEventStream{Records: &s3api.RecordsEvent{Payload: []byte("a,b\n")}}); err != nil {
				return err
			}
			return send(&s3api.SelectObjectContentEventStream{End: &s3api.EndEvent{}})
		},
	}
	events := func(dyn map[string]any) []map[string]any {
		stream, ok := dyn["Payload"].(model.EventStream)
		if !ok {
			t.Fatalf("Payload is %T", dyn["Payload"])
		}
		var got []map[string]any
		if err := stream(context.Background(), func(e map[string]any) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	var oracle api.Reflect
	var c api.Converter
	got, want := events(c.ToDynamic(out)), events(oracle.ToDynamic(out))
	if !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Fatalf("events %#v, reflection says %#v", got, want)
	}
	if _, ok := c.ToDynamic(&s3api.SelectObjectContentOutput{})["Payload"]; ok {
		t.Fatal("a nil stream is present")
	}
}
