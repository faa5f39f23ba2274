package query_test

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
)

// fuzzModel has every scalar type, lists and maps at several depths, both
// flattened layouts, renamed members, keys and values, and recursion.
const fuzzModel = `{
  "metadata": {"protocol": "query", "apiVersion": "2014-01-01"},
  "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
  "shapes": {
    "In": {"type": "structure", "members": {
      "S": {"shape": "S"}, "I": {"shape": "I"}, "Lg": {"shape": "Lg"}, "D": {"shape": "D"}, "F": {"shape": "F"},
      "B": {"shape": "B"}, "T": {"shape": "T"}, "TU": {"shape": "T", "timestampFormat": "unixTimestamp"},
      "T8": {"shape": "T", "timestampFormat": "rfc822"}, "Bl": {"shape": "Bl"},
      "L": {"shape": "L"}, "LS": {"shape": "LS"}, "FL": {"shape": "FL"}, "LL": {"shape": "LL"},
      "M": {"shape": "M"}, "MS": {"shape": "MS"}, "FM": {"shape": "M", "flattened": true}, "ML": {"shape": "ML"},
      "Sub": {"shape": "In", "locationName": "sub"}, "Q": {"shape": "S", "locationName": "q", "queryName": "QQ"}
    }},
    "L": {"type": "list", "member": {"shape": "S"}},
    "LS": {"type": "list", "member": {"shape": "In", "locationName": "item"}},
    "FL": {"type": "list", "member": {"shape": "S", "locationName": "Item"}, "flattened": true},
    "LL": {"type": "list", "member": {"shape": "L"}},
    "M": {"type": "map", "key": {"shape": "S", "locationName": "Name"}, "value": {"shape": "S", "locationName": "Value"}},
    "MS": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "In"}},
    "ML": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "L"}},
    "S": {"type": "string"}, "I": {"type": "integer"}, "Lg": {"type": "long"}, "D": {"type": "double"}, "F": {"type": "float"},
    "B": {"type": "boolean"}, "T": {"type": "timestamp"}, "Bl": {"type": "blob"}
  }
}`

// FuzzQueryDecode feeds arbitrary form bodies to both dialects. Decoding
// must never panic, and whatever decodes must survive being sent again
// the way botocore would send it: after one round (which may drop
// sub-second time in an rfc822 member) a second changes nothing.
func FuzzQueryDecode(f *testing.F) {
	for _, seed := range []string{
		"Action=Op&S=a&I=1&Lg=-9223372036854775808&D=NaN&F=1.5&B=true&T=2015-01-25T08%3A00%3A00.123456Z&TU=1.5&T8=1422172800&Bl=Zm9v",
		"Action=Op&L.member.1=a&L.member.2=&LS.item.1.S=x&LS.item.2.sub.S=y&Item.1=p&FL.2=q&LL.member.1.member.1=z&LL=",
		"Action=Op&M.entry.1.Name=k&M.entry.1.Value=v&MS.entry.1.key=k&MS.entry.1.value.I=3&FM.1.Name=a&FM.1.Value=b&ML.entry.1.key=k&ML.entry.1.value=",
		"Action=Op&sub.sub.sub.S=deep&QQ=q&q=loc",
		"Action=Op&Sub.1.S=a&L.1=a&L.3=c&Filter.1.Value.1=x",
		"Action=Op&I=9999999999&B=maybe",
		"Action=Op&S=%zz",
	} {
		f.Add(seed)
	}
	svc := mustModel(f, fuzzModel)
	op := svc.Operations["Op"]
	f.Fuzz(func(t *testing.T, body string) {
		for _, ec2 := range []bool{false, true} {
			codec := query.New()
			if ec2 {
				codec = query.NewEC2()
			}
			decode := func(body string) (map[string]any, error) {
				req := postForm(body)
				if _, err := codec.Resolve(svc, req); err != nil {
					return nil, err
				}
				return codec.Decode(op, req)
			}
			v1, err := decode(body)
			if err != nil {
				continue
			}
			v2, err := decode(clientSerialize(ec2, svc, op, v1))
			if err != nil {
				t.Fatalf("ec2=%v: re-sent %#v does not decode: %v", ec2, v1, err)
			}
			v3, err := decode(clientSerialize(ec2, svc, op, v2))
			if err != nil {
				t.Fatalf("ec2=%v: re-sent %#v does not decode: %v", ec2, v2, err)
			}
			if d := protocoltest.Diff(any(v2), v3); d != "" {
				t.Fatalf("ec2=%v: %q: not stable:\n%s", ec2, body, d)
			}
		}
	})
}
