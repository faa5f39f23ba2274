package ses

import (
	"encoding/json"
	"sort"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxBulkDestinations is SendBulkTemplatedEmail's limit of destinations
// per call (SES API Reference).
const maxBulkDestinations = 50

// SendBulkTemplatedEmail renders the template once per destination, with
// the destination's ReplacementTemplateData over DefaultTemplateData, and
// sends each; a destination that fails is reported in its status (an
// unverified sender or an unknown template fails the whole call).
func (s *V1) SendBulkTemplatedEmail(ctx *request.Context, in *sesapi.SendBulkTemplatedEmailRequest) (*sesapi.SendBulkTemplatedEmailResponse, error) {
	if len(in.Destinations) > maxBulkDestinations {
		return nil, awserr.InvalidParameterValue.New("Number of destinations exceeds the maximum allowed (%d).", maxBulkDestinations)
	}
	name := ptr.Deref(in.Template)
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesapi.ErrTemplateDoesNotExistException.New("Template %s does not exist.", name).With("TemplateName", name)
	}
	from := bareAddress(ptr.Deref(in.Source))
	if ok, err := s.c.verified(ctx.Account, ctx.Region, from); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNotVerified(sesapi.ErrMessageRejected, ctx.Region, []string{from})
	}
	out := &sesapi.SendBulkTemplatedEmailResponse{Status: []sesapi.BulkEmailDestinationStatus{}}
	for _, d := range in.Destinations {
		data, err := mergeData(ptr.Deref(in.DefaultTemplateData), ptr.Deref(d.ReplacementTemplateData))
		var id string
		if err == nil {
			var subj, text, html string
			subj, text, html, err = render(t, data, sesapi.ErrMissingRenderingAttributeException, sesapi.ErrInvalidRenderingParameterException)
			if err == nil {
				m := outgoing{Account: ctx.Account, Region: ctx.Region, Source: ptr.Deref(in.Source), Subject: subj,
					Body: MailBody{Text: text, HTML: html}, Via: "SendBulkTemplatedEmail", Rejected: sesapi.ErrMessageRejected,
					ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesapi.ErrConfigurationSetDoesNotExistException}
				if d.Destination != nil {
					m.Dest = Destination{d.Destination.ToAddresses, d.Destination.CcAddresses, d.Destination.BccAddresses}
				}
				id, err = s.c.send(ctx.Now(), m)
			}
		}
		if err != nil {
			e := awserr.As(err)
			status := e.Code.Code
			if !e.Code.Sender {
				return nil, err
			}
			if _, known := bulkStatuses[status]; !known {
				status = "Failed"
			}
			out.Status = append(out.Status, sesapi.BulkEmailDestinationStatus{Status: ptr.To(status), Error: ptr.To(e.Message)})
			continue
		}
		out.Status = append(out.Status, sesapi.BulkEmailDestinationStatus{Status: ptr.To("Success"), MessageId: ptr.To(id)})
	}
	return out, nil
}

// bulkStatuses are the BulkEmailStatus values an error code maps to.
var bulkStatuses = map[string]struct{}{
	"MessageRejected": {}, "ConfigurationSetDoesNotExist": {}, "TemplateDoesNotExist": {}, "InvalidParameterValue": {},
}

// mergeData overlays replacement's keys on def (both JSON objects).
func mergeData(def, replacement string) (string, error) {
	if replacement == "" {
		return def, nil
	}
	m := map[string]any{}
	for _, s := range []string{def, replacement} {
		if s == "" {
			continue
		}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return "", sesapi.ErrInvalidRenderingParameterException.New("Template data is not valid JSON: %v", err)
		}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// GetSendStatistics answers the last two weeks of sending in 15-minute
// data points (recipients sent to as DeliveryAttempts; niwa has no
// bounces, complaints or rejects after acceptance).
func (s *V1) GetSendStatistics(ctx *request.Context, _ *sesapi.GetSendStatisticsInput) (*sesapi.GetSendStatisticsResponse, error) {
	now := ctx.Now()
	buckets := map[time.Time]int64{}
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return sends.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, v sent) bool {
			if now.Sub(v.At) <= 14*24*time.Hour {
				buckets[v.At.UTC().Truncate(15*time.Minute)] += int64(v.Recipients)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	out := &sesapi.GetSendStatisticsResponse{SendDataPoints: []sesapi.SendDataPoint{}}
	for at, n := range buckets {
		out.SendDataPoints = append(out.SendDataPoints, sesapi.SendDataPoint{Timestamp: ptr.To(at), DeliveryAttempts: ptr.To(n),
			Bounces: ptr.To(int64(0)), Complaints: ptr.To(int64(0)), Rejects: ptr.To(int64(0))})
	}
	sort.Slice(out.SendDataPoints, func(i, j int) bool {
		return out.SendDataPoints[i].Timestamp.Before(*out.SendDataPoints[j].Timestamp)
	})
	return out, nil
}
