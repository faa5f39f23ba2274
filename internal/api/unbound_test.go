package api_test

import (
	"strings"
	"testing"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/request"
)

// goodSTS binds GetCallerIdentity.
type goodSTS struct{}

func (goodSTS) GetCallerIdentity(*request.Context, *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	return nil, nil
}

// mistypedSTS names two operations but binds neither: GetCallerIdentity
// returns a value instead of a pointer, GetSessionToken lacks the context.
type mistypedSTS struct{}

func (mistypedSTS) GetCallerIdentity(*request.Context, *stsapi.GetCallerIdentityInput) (stsapi.GetCallerIdentityOutput, error) {
	return stsapi.GetCallerIdentityOutput{}, nil
}

func (mistypedSTS) GetSessionToken(*stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	return nil, nil
}

// NotAnOperation is no operation of STS, so it is no concern of Unbound.
func (mistypedSTS) NotAnOperation() {}

// pointerSTS implements GetCallerIdentity on its pointer only.
type pointerSTS struct{}

func (*pointerSTS) GetCallerIdentity(*request.Context, *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	return nil, nil
}

func TestUnbound(t *testing.T) {
	spec := stsapi.Spec()
	for _, tc := range []struct {
		name string
		impl any
		want []string // one substring per expected error, in operation order
	}{
		{"bound", goodSTS{}, nil},
		{"pointer impl", &pointerSTS{}, nil},
		{"nil", nil, nil},
		{"mistyped", mistypedSTS{}, []string{
			"sts: method GetCallerIdentity of api_test.mistypedSTS has signature func(api_test.mistypedSTS, *request.Context, *stsapi.GetCallerIdentityRequest) (stsapi.GetCallerIdentityResponse, error)",
			"sts: method GetSessionToken of api_test.mistypedSTS",
		}},
		{"value impl of pointer methods", pointerSTS{}, []string{
			"sts: method GetCallerIdentity has a pointer receiver but the implementation is the value api_test.pointerSTS",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := spec.Unbound(tc.impl)
			if len(errs) != len(tc.want) {
				t.Fatalf("Unbound = %v, want %d errors", errs, len(tc.want))
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tc.want[i])
				}
			}
		})
	}
}
