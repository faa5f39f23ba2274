package vtl

import (
	"errors"
	"strings"
	"testing"
)

func vars(body string) map[string]any {
	return map[string]any{
		"input": &Input{Body: body, Params: Params{
			Path:   map[string]string{"id": "42"},
			Query:  map[string]string{"key": "k1", "name": "Ana"},
			Header: map[string]string{"X-Trace": "t-1"},
		}},
		"context": map[string]any{"requestId": "req-1", "stage": "prod",
			"identity": map[string]any{"sourceIp": "203.0.113.7"}},
		"stageVariables": map[string]any{"env": "test"},
		"util":           Util{},
	}
}

// Cases from AWS's documented mapping template examples (API Gateway
// Developer Guide, "Mapping template reference" and "Transformation
// examples") and the Velocity constructs templates use.
func TestRender(t *testing.T) {
	for _, tc := range []struct{ name, tmpl, body, want string }{
		{"S18 seed", `{"key": "$input.params('key')", "sourceIp": "$context.identity.sourceIp"}`, ``,
			`{"key": "k1", "sourceIp": "203.0.113.7"}`},
		{"absent parameter is empty", `"$input.params('nope')"`, ``, `""`},
		{"path then query then header", `$input.params('id') $input.params('x-trace')`, ``, `42 t-1`},
		{"json quotes strings", `$input.json('$.a')`, `{"a":"x"}`, `"x"`},
		{"json objects", `$input.json('$')`, `{"a":[1,2]}`, `{"a":[1,2]}`},
		{"path returns values", `$input.path('$.a.b[1]')`, `{"a":{"b":[5,6]}}`, `6`},
		{"path size", `$input.path('$.l').size()`, `{"l":[1,2,3]}`, `3`},
		{"body", `$input.body`, `raw text`, `raw text`},
		{"stage variables", `$stageVariables.env/$context.stage/$context.requestId`, ``, `test/prod/req-1`},
		{"escapeJavaScript", `$util.escapeJavaScript($input.body)`, `He said "it's"/ok`, `He said \"it\'s\"\/ok`},
		{"set and if", "#set($n = 3)\n#if($n > 2)big#elseif($n > 1)mid#{else}small#end", ``, `big`},
		{"else", `#if($input.params('key') == "zz")a#{else}b#end`, ``, `b`},
		{"foreach hasNext", `[#foreach($x in $input.path('$.l'))$x#if($foreach.hasNext),#end#end]`, `{"l":[1,2,3]}`, `[1,2,3]`},
		{"foreach params documented", `#set($allParams = $input.params())` + "\n" +
			`#foreach($type in $allParams.keySet())#set($params = $allParams.get($type))"$type":{#foreach($paramName in $params.keySet())"$paramName":"$util.escapeJavaScript($params.get($paramName))"#if($foreach.hasNext),#end#end}#if($foreach.hasNext),#end#end`,
			``, `"header":{"X-Trace":"t-1"},"path":{"id":"42"},"querystring":{"key":"k1","name":"Ana"}`},
		{"unknown reference renders as written", `$nope and $!nope.`, ``, `$nope and .`},
		{"comments", "a## line\nb#* block *#c", ``, "abc"},
		{"string methods", `$input.params('name').toUpperCase() $input.params('name').replaceAll("a", "4")`, ``, `ANA An4`},
		{"concat", `#set($s = "a" + 1)$s`, ``, `a1`},
		{"interpolated string", `#set($s = "id=$input.params('id')")$s`, ``, `id=42`},
		{"range", `#foreach($i in [1..3])$i#end`, ``, `123`},
		{"map literal", `#set($m = {"a": 1})$m.a $m.get("a")`, ``, `1 1`},
		{"escaped dollar", `\$input`, ``, `$input`},
		// The Developer Guide's photos example (Mapping template
		// examples): Velocity drops the newline after each directive, so
		// the blank line in the loop is what separates the objects.
		{"photos example", "#set($inputRoot = $input.path('$'))\n{\n  \"photos\": [\n#foreach($elem in $inputRoot.photos.photo)\n    {\n      \"id\": \"$elem.id\",\n      \"title\": \"$elem.title\",\n      \"ispublic\": $elem.ispublic\n    }#if($foreach.hasNext),#end\n\n#end\n  ]\n}",
			`{"photos": {"page": 1, "photo": [{"id": "1", "title": "a", "ispublic": true}, {"id": "2", "title": "b", "ispublic": false}]}}`,
			"{\n  \"photos\": [\n    {\n      \"id\": \"1\",\n      \"title\": \"a\",\n      \"ispublic\": true\n    },\n    {\n      \"id\": \"2\",\n      \"title\": \"b\",\n      \"ispublic\": false\n    }\n  ]\n}"},
		{"directive lines", "#if(true)\na\n#else\nb\n#end\nc", ``, "a\nc"},
		{"parseJson", `$util.parseJson('{"a":"b"}').a`, ``, `b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Render(vars(tc.body), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	for _, tmpl := range []string{
		`#set($s = "ab")#foreach($i in [1..100])#set($s = "$s$s")#end$s`,
		`#foreach($i in [1..100000000])x#end`,
	} {
		tpl, err := Parse(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.Render(nil, Limits{MaxOutput: 1 << 16, MaxSteps: 100000}); !errors.Is(err, ErrLimit) {
			t.Errorf("%s: err %v, want ErrLimit", tmpl, err)
		}
	}
	if _, err := Parse(strings.Repeat("#if(true)", 1000)); err == nil {
		t.Error("deep nesting parsed")
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{`{"key": "$input.params('key')"}`, `#foreach($x in [1..3])$x#end`, `#set($a = {"b": [1, 2]})$a.b.get(0)`, `#if($a && !$b || 1 < 2)x#{else}y#end`} {
		f.Add(s, `{"a":1}`)
	}
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		tpl, err := Parse(tmpl)
		if err != nil {
			return
		}
		lim := Limits{MaxOutput: 1 << 16, MaxSteps: 100000}
		out, _ := tpl.Render(vars(body), lim)
		if len(out) > lim.MaxOutput {
			t.Fatalf("output %d bytes over the limit", len(out))
		}
	})
}
