package server

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/service/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/service/logs"
)

// wireAPIGatewayV2 wires HTTP APIs with Lambda behind their AWS_PROXY
// integrations and authorizers, niwa's SigV4 verifier behind AWS_IAM
// routes, and CloudWatch Logs behind stages' access logs.
func wireAPIGatewayV2(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("apigatewayv2")
	if err != nil {
		return nil, err
	}
	logStore, err := d.store("logs")
	if err != nil {
		return nil, err
	}
	opt := apigatewayv2.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log, Endpoint: d.endpoint,
		Logs: accessLogs{logs.New(logStore, d.clock, d.bus)}}
	if d.lambda != nil {
		opt.Functions = integrationFunctions{d.lambda, d}
	}
	if d.iam != nil && d.sts != nil {
		opt.Signatures = executeAPISignatures{&auth.Verifier{
			Credentials:    &credentialChain{static: d.static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}},
			Clock:          d.clock,
			SigningClock:   signingClock(d.clock),
			SkipValidation: d.cfg.SkipSignatureValidation,
			DefaultAccount: DefaultAccount,
		}}
	}
	return &wiring{Declaration: apigatewayv2.New(opt).Declare()}, nil
}

// executeAPISignatures verifies the SigV4 signature of a call to an
// AWS_IAM route with the gateway's own verifier.
type executeAPISignatures struct{ v *auth.Verifier }

func (s executeAPISignatures) Verify(r *http.Request) (string, string, error) {
	res, err := s.v.Verify(r, auth.DialectRestJSON)
	if err != nil {
		return "", "", err
	}
	if res.Anonymous {
		return "", "", auth.MissingAuthentication(auth.DialectRestJSON)
	}
	// The verifier may have read the body to hash it: res.Body replays
	// it for the integration.
	if res.Body != nil {
		r.Body = res.Body
	}
	return res.Credential.ARN, res.Credential.Account, nil
}

// accessLogs adapts CloudWatch Logs to HTTP APIs' access logs.
type accessLogs struct{ logs *logs.Logs }

func (l accessLogs) AppendLogEvents(account, region, group, stream string, lines []apigatewayv2.LogLine) error {
	out := make([]logs.LogEvent, len(lines))
	for i, e := range lines {
		out[i] = logs.LogEvent{Time: e.Time, Message: e.Message}
	}
	return l.logs.AppendLogEvents(account, region, group, stream, out)
}
