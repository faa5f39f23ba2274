package cloudwatch

import (
	"fmt"
	"strings"
)

// Composite alarm rules, as AWS documents them:
//
//	rule  := or
//	or    := and ("OR" and)*
//	and   := not ("AND" not)*
//	not   := "NOT" not | "(" rule ")" | "TRUE" | "FALSE" | state "(" alarm ")"
//	state := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//	alarm := a name or ARN, optionally in double quotes
//
// Keywords are upper case; the rule is at most 10240 characters.

// ruleNode is a parsed alarm rule.
type ruleNode struct {
	op    string // "and", "or", "not", "true", "false", "state"
	state string
	alarm string
	args  []*ruleNode
}

const maxRuleLen = 10240

func parseAlarmRule(s string) (*ruleNode, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("the alarm rule is empty")
	}
	if len(s) > maxRuleLen {
		return nil, fmt.Errorf("the alarm rule is longer than %d characters", maxRuleLen)
	}
	p := &ruleParser{s: s}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at position %d", p.rest(), p.i)
	}
	return n, nil
}

type ruleParser struct {
	s string
	i int
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *ruleParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20]
	}
	return r
}

// keyword consumes kw when it stands as a whole word at the position.
func (p *ruleParser) keyword(kw string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.i:], kw) {
		return false
	}
	end := p.i + len(kw)
	if end < len(p.s) {
		c := p.s[end]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return false
		}
	}
	p.i = end
	return true
}

func (p *ruleParser) or(d int) (*ruleNode, error) {
	if d > maxDepth {
		return nil, fmt.Errorf("the alarm rule is nested too deeply")
	}
	l, err := p.and(d)
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and(d)
		if err != nil {
			return nil, err
		}
		l = &ruleNode{op: "or", args: []*ruleNode{l, r}}
	}
	return l, nil
}

func (p *ruleParser) and(d int) (*ruleNode, error) {
	l, err := p.not(d)
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not(d)
		if err != nil {
			return nil, err
		}
		l = &ruleNode{op: "and", args: []*ruleNode{l, r}}
	}
	return l, nil
}

func (p *ruleParser) not(d int) (*ruleNode, error) {
	if d > maxDepth {
		return nil, fmt.Errorf("the alarm rule is nested too deeply")
	}
	switch {
	case p.keyword("NOT"):
		x, err := p.not(d + 1)
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: "not", args: []*ruleNode{x}}, nil
	case p.keyword("TRUE"):
		return &ruleNode{op: "true"}, nil
	case p.keyword("FALSE"):
		return &ruleNode{op: "false"}, nil
	}
	for _, st := range []string{"ALARM", "OK", "INSUFFICIENT_DATA"} {
		if p.keyword(st) {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '(' {
				return nil, fmt.Errorf("expected ( after %s at position %d", st, p.i)
			}
			p.i++
			p.space()
			name, err := p.alarmName()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ')' {
				return nil, fmt.Errorf("expected ) after the alarm name at position %d", p.i)
			}
			p.i++
			return &ruleNode{op: "state", state: st, alarm: name}, nil
		}
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		n, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("expected ) at position %d", p.i)
		}
		p.i++
		return n, nil
	}
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end of the alarm rule")
	}
	return nil, fmt.Errorf("unexpected %q at position %d", p.rest(), p.i)
}

func (p *ruleParser) alarmName() (string, error) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end < 0 {
			return "", fmt.Errorf("unterminated alarm name at position %d", p.i)
		}
		name := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		if name == "" {
			return "", fmt.Errorf("empty alarm name")
		}
		return name, nil
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ')' && p.s[p.i] != ' ' && p.s[p.i] != '(' {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("expected an alarm name at position %d", p.i)
	}
	return p.s[start:p.i], nil
}

// refs appends the alarm names or ARNs the rule reads.
func (n *ruleNode) refs(out []string) []string {
	if n.op == "state" {
		return append(out, n.alarm)
	}
	for _, a := range n.args {
		out = a.refs(out)
	}
	return out
}

// eval evaluates the rule with state giving each referenced alarm's state.
func (n *ruleNode) eval(state func(ref string) string) bool {
	switch n.op {
	case "true":
		return true
	case "false":
		return false
	case "not":
		return !n.args[0].eval(state)
	case "and":
		return n.args[0].eval(state) && n.args[1].eval(state)
	case "or":
		return n.args[0].eval(state) || n.args[1].eval(state)
	}
	return state(n.alarm) == n.state
}
