package gateway

import (
	"testing"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
)

// TestOnCall checks the audit hook: it sees every call that resolved an
// operation, after the answer, with its input, output, error and status.
func TestOnCall(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name       string
		body       string
		op         string
		status     int
		errCode    string
		wantParams bool
		wantResult bool
	}{
		{"success", "Action=GetCallerIdentity&Version=2011-06-15", "GetCallerIdentity", 200, "", true, true},
		{"handler panic", "Action=GetSessionToken&Version=2011-06-15", "GetSessionToken", 500, "InternalFailure", true, false},
		{"not implemented", "Action=CreateRole&Version=2010-05-08&RoleName=r1&AssumeRolePolicyDocument=%7B%7D", "CreateRole", 501, "NotImplemented", true, false},
		{"invalid input", "Action=CreateRole&Version=2010-05-08", "CreateRole", 400, "ValidationError", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTestGateway(t)
			var calls []Call
			tg.cfg.OnCall = func(c Call) { calls = append(calls, c) }
			w := tg.do(newRequest("POST", "/", tc.body, "Content-Type", form, "User-Agent", "aws-cli/2.9.19"))
			if len(calls) != 1 {
				t.Fatalf("OnCall ran %d times, want 1", len(calls))
			}
			c := calls[0]
			if c.Operation == nil || c.Operation.Name != tc.op || c.Status != tc.status || c.Status != w.Code {
				t.Fatalf("call = %v %d (response %d), want %s %d", c.Operation, c.Status, w.Code, tc.op, tc.status)
			}
			if c.Context == nil || c.Context.RequestID == "" || c.Context.Caller.Account != "000000000000" ||
				c.Context.HTTP.UserAgent() != "aws-cli/2.9.19" || c.Model == nil || c.Service == nil {
				t.Fatalf("call context incomplete: %+v", c)
			}
			if got := ""; c.Err != nil {
				got = c.Err.Code.Code
				if got != tc.errCode {
					t.Fatalf("error %s, want %q", got, tc.errCode)
				}
			} else if tc.errCode != "" {
				t.Fatalf("no error, want %s", tc.errCode)
			}
			if (c.Params != nil) != tc.wantParams || (c.Input != nil) != (tc.wantParams && tc.errCode != "NotImplemented") {
				t.Fatalf("params %v input %v, want present=%v", c.Params, c.Input, tc.wantParams)
			}
			if (c.Result() != nil) != tc.wantResult || (c.Output != nil) != tc.wantResult {
				t.Fatalf("result %v output %v, want present=%v", c.Result(), c.Output, tc.wantResult)
			}
			if tc.wantResult {
				out := c.Output.(*stsapi.GetCallerIdentityOutput)
				if *out.Account != "000000000000" || c.Result()["Account"] != "000000000000" {
					t.Fatalf("output %+v result %v", out, c.Result())
				}
			}
			if tc.name == "not implemented" && c.Params["RoleName"] != "r1" {
				t.Fatalf("params %v", c.Params)
			}
		})
	}

	t.Run("unknown operation", func(t *testing.T) {
		tg := newTestGateway(t)
		n := 0
		tg.cfg.OnCall = func(Call) { n++ }
		tg.do(newRequest("POST", "/", "Action=NoSuchThing&Version=2011-06-15", "Content-Type", form))
		if n != 0 {
			t.Fatalf("OnCall ran %d times for an unresolved operation", n)
		}
	})
}
