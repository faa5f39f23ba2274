package sns

import (
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
)

func TestFilterPolicy(t *testing.T) {
	s := func(v string) *string { return &v }
	attrs := map[string]snsapi.MessageAttributeValue{
		"kind":   {DataType: s("String"), StringValue: s("order")},
		"amount": {DataType: s("Number"), StringValue: s("150")},
		"tags":   {DataType: s("String.Array"), StringValue: s(`["a","b"]`)},
	}
	body := `{"status":"paid","detail":{"n":3}}`
	for _, c := range []struct {
		policy string
		body   bool
		want   bool
	}{
		{`{"kind":["order"]}`, false, true},
		{`{"kind":["refund"]}`, false, false},
		{`{"kind":[{"prefix":"ord"}]}`, false, true},
		{`{"kind":[{"suffix":"der"}]}`, false, true},
		{`{"kind":[{"equals-ignore-case":"ORDER"}]}`, false, true},
		{`{"kind":[{"anything-but":["order"]}]}`, false, false},
		{`{"amount":[{"numeric":[">=",100,"<",200]}]}`, false, true},
		{`{"amount":[{"numeric":[">",150]}]}`, false, false},
		{`{"amount":[150]}`, false, true},
		{`{"missing":[{"exists":false}]}`, false, true},
		{`{"kind":[{"exists":false}]}`, false, false},
		{`{"tags":["b"]}`, false, true},
		{`{"kind":["order"],"amount":[1]}`, false, false},
		{`{"$or":[{"kind":["x"]},{"amount":[150]}]}`, false, true},
		{`{"status":["paid"],"detail":{"n":[{"numeric":["=",3]}]}}`, true, true},
		{`{"status":[{"anything-but":"paid"}]}`, true, false},
	} {
		f, err := parseFilterPolicy(c.policy)
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := f.matches(c.body, &publication{message: body, attrs: attrs}); got != c.want {
			t.Errorf("%s: got %v", c.policy, got)
		}
	}
	if _, err := parseFilterPolicy(`{"a":"x"}`); err == nil {
		t.Error("scalar condition accepted")
	}
}
