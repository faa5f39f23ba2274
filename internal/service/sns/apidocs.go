package sns

import (
	"net/http"
	"sync"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
)

// apiDocs writes the answers of the SubscribeURL and UnsubscribeURL
// links as the API answers ConfirmSubscription and Unsubscribe (those
// links are API calls on AWS): through the query codec, from SNS's
// model, with escaping and error documents as the API's own.
type apiDocs struct {
	codec protocol.Codec
	once  sync.Once
	svc   *model.Service
	err   error
}

func newAPIDocs() *apiDocs { return &apiDocs{codec: query.New()} }

func (d *apiDocs) model() (*model.Service, error) {
	d.once.Do(func() { d.svc, d.err = snsapi.Spec().Model() })
	return d.svc, d.err
}

// answer writes the output of operation op (nil for none), or err when
// it is not nil.
func (d *apiDocs) answer(w http.ResponseWriter, op string, out map[string]any, err error) {
	meta := protocol.Meta{RequestID: awsid.UUID()}
	svc, merr := d.model()
	if merr != nil {
		// The generated model always loads; without it there is no
		// document to write.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	o := svc.Operations[op]
	if err != nil {
		d.codec.EncodeError(w, svc, o, awserr.As(err), meta)
		return
	}
	if eerr := d.codec.Encode(w, o, out, meta); eerr != nil {
		d.codec.EncodeError(w, svc, o, awserr.As(eerr), meta)
	}
}
