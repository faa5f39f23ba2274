package pattern

import (
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary patterns and events to the compiler, the
// matcher and the Index: none may panic, and whatever compiles must match
// the same way through the Index as directly.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{"source":["aws.ec2"],"detail":{"state":["running",{"prefix":"stop"}]}}`,
		`{"$or":[{"a":[{"numeric":[">",0,"<=",5]}]},{"b":[{"exists":false}]}]}`,
		`{"a":[{"anything-but":{"prefix":"x"}}],"b":[{"wildcard":"a*b\\*"}],"c":[{"cidr":"10.0.0.0/8"}]}`,
		`{"a":[{"equals-ignore-case":"X"},{"suffix":{"equals-ignore-case":".PNG"}}]}`,
		strings.Repeat(`{"a":`, 50) + `["x"]` + strings.Repeat("}", 50),
	} {
		f.Add(s, `{"source":"aws.ec2","a":5,"b":"ab*","c":"10.1.2.3","detail":{"state":"running"}}`)
	}
	f.Fuzz(func(t *testing.T, src, event string) {
		p, err := Compile(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			_ = err.Error()
			return
		}
		direct := p.Match([]byte(event))
		ev, err := ParseEvent([]byte(event))
		if err != nil {
			if direct {
				t.Fatal("an event that does not parse matched")
			}
			return
		}
		x := NewIndex()
		x.Put("r", p)
		if got := len(x.Match(ev)) == 1; got != direct {
			t.Fatalf("index %v, direct %v", got, direct)
		}
	})
}
