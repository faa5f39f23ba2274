package authz

import "github.com/niwa-cloud/niwa/internal/iam"

// CalledViaContext is aws:CalledVia (every service, in order),
// aws:CalledViaFirst and aws:CalledViaLast for a request that services
// made on a principal's behalf (request.Context.CalledVia). A direct
// call has none of the keys, as on AWS.
func CalledViaContext(via []string) iam.Context {
	c := iam.Context{}
	if len(via) == 0 {
		return c
	}
	c["aws:calledvia"] = append([]string(nil), via...)
	c.Set("aws:CalledViaFirst", via[0])
	c.Set("aws:CalledViaLast", via[len(via)-1])
	return c
}
