package expr

import (
	"strings"
	"testing"
)

func sv(s string) AV { return AV{S: &s} }
func nv(s string) AV { return AV{N: &s} }

func TestConditionEval(t *testing.T) {
	b := true
	item := Item{"a": nv("5"), "s": sv("hello"), "m": {M: map[string]AV{"x": {L: []AV{nv("1"), sv("two")}}}}, "ss": {SS: []string{"p", "q"}}, "flag": {BOOL: &b}}
	vals := map[string]AV{":five": nv("5.0"), ":h": sv("he"), ":two": sv("two"), ":p": sv("p"), ":lo": nv("1"), ":hi": nv("9"), ":t": sv("BOOL"), ":n": nv("2")}
	cases := []struct {
		expr string
		want bool
	}{
		{"a = :five", true},
		{"a <> :five", false},
		{"a BETWEEN :lo AND :hi", true},
		{"a IN (:lo, :five)", true},
		{"begins_with(s, :h)", true},
		{"contains(ss, :p)", true},
		{"m.x[1] = :two", true},
		{"size(m.x) = :n", true},
		{"attribute_exists(m.x[0]) AND NOT attribute_exists(nope)", true},
		{"attribute_type(flag, :t)", true},
		{"(a < :lo OR s > :h) AND a >= :five", true},
		{"nope = :five OR a > :hi", false},
		{"nope <> :five", true},
	}
	for _, c := range cases {
		env := NewEnv(nil, vals)
		cond, err := ParseCondition(KindCondition, c.expr, env)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := cond.Eval(item); got != c.want {
			t.Errorf("%s = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	vals := map[string]AV{":v": sv("x"), ":n": nv("1")}
	cases := []struct {
		kind       Kind
		expr, want string
	}{
		{KindCondition, "a = = :v", `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"`},
		{KindCondition, "a =", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`},
		{KindCondition, "name = :v", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
		{KindCondition, "#x = :v", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{KindCondition, "a = :zz", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz"},
		{KindCondition, "begins_with(a, :n)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{KindCondition, "foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"},
		{KindUpdate, "SET a = :v SET b = :v", `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{KindUpdate, "SET a = :v REMOVE a.b", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{KindUpdate, "ADD a :v", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
		{KindCondition, "", "Invalid ConditionExpression: The expression can not be empty;"},
	}
	for _, c := range cases {
		env := NewEnv(nil, vals)
		var err error
		if c.kind == KindUpdate {
			_, err = ParseUpdate(c.expr, env)
		} else {
			_, err = ParseCondition(c.kind, c.expr, env)
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: err = %v\nwant %s", c.expr, err, c.want)
		}
	}
	env := NewEnv(map[string]string{"#a": "a", "#b": "b"}, map[string]AV{":v": sv("x"), ":w": sv("y")})
	if _, err := ParseCondition(KindCondition, "#a = :v", env); err != nil {
		t.Fatal(err)
	}
	if err := env.CheckUnused(); err == nil || err.Error() != "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}" {
		t.Fatalf("unused: %v", err)
	}
}

func TestUpdateApply(t *testing.T) {
	item := Item{"n": nv("1"), "l": {L: []AV{sv("a"), sv("b"), sv("c")}}, "m": {M: map[string]AV{"k": sv("v")}}, "ss": {SS: []string{"x", "y"}}}
	vals := map[string]AV{":one": nv("1.5"), ":l": {L: []AV{sv("d")}}, ":s": {SS: []string{"y"}}, ":z": nv("0"), ":v": sv("new")}
	u, err := ParseUpdate("SET n = n + :one, l = list_append(l, :l), m.k2 = :v, c = if_not_exists(c, :z) REMOVE m.k DELETE ss :s ADD cnt :one", NewEnv(nil, vals))
	if err != nil {
		t.Fatal(err)
	}
	out, err := u.Apply(item)
	if err != nil {
		t.Fatal(err)
	}
	if *out["n"].N != "2.5" || len(out["l"].L) != 4 || *out["m"].M["k2"].S != "new" || out["m"].M["k"].S != nil ||
		len(out["ss"].SS) != 1 || *out["c"].N != "0" || *out["cnt"].N != "1.5" {
		t.Fatalf("out = %+v", out)
	}
	if *item["n"].N != "1" || len(item["l"].L) != 3 {
		t.Fatal("Apply modified its input")
	}
	u, _ = ParseUpdate("SET a.b = :v", NewEnv(nil, vals))
	if _, err := u.Apply(item); err == nil || !strings.Contains(err.Error(), "document path provided in the update expression is invalid") {
		t.Fatalf("missing parent: %v", err)
	}
}

func TestProjection(t *testing.T) {
	item := Item{"a": nv("1"), "m": {M: map[string]AV{"x": sv("1"), "y": sv("2")}}, "l": {L: []AV{sv("a"), sv("b"), sv("c")}}}
	paths, err := ParseProjection("m.x, l[2], a", NewEnv(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	out := Project(item, paths)
	if len(out) != 3 || len(out["m"].M) != 1 || len(out["l"].L) != 1 || *out["l"].L[0].S != "c" {
		t.Fatalf("projection %+v", out)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a = :v", "SET a = a + :v, b = list_append(b, :v) REMOVE c[1]", "#n.x[3] BETWEEN :v AND :v", "NOT (a IN (:v, :v)) OR size(a) > :v", "begins_with(a, :v)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		vals := map[string]AV{":v": nv("1")}
		names := map[string]string{"#n": "n"}
		item := Item{"a": nv("1"), "b": {L: []AV{nv("2")}}, "n": {M: map[string]AV{"x": {L: []AV{}}}}}
		if c, err := ParseCondition(KindCondition, src, NewEnv(names, vals)); err == nil {
			c.Eval(item)
		}
		if u, err := ParseUpdate(src, NewEnv(names, vals)); err == nil {
			_, _ = u.Apply(item)
		}
		if p, err := ParseProjection(src, NewEnv(names, vals)); err == nil {
			Project(item, p)
		}
	})
}
