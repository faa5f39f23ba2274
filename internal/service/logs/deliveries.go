package logs

import (
	"crypto/rand"
	"fmt"
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Vended log deliveries: a delivery source (a resource that emits logs,
// such as a CloudFront distribution), a delivery destination (a log
// group, bucket or Firehose stream) and a delivery linking them. niwa
// keeps the configuration as AWS does; the resources emitting vended
// logs do not emit them in niwa, so nothing flows through a delivery
// (docs/logs.md). These operations answer ValidationException, as their
// model declares, not InvalidParameterException.

type deliverySource struct {
	Name      string            `json:"name"`
	Resources []string          `json:"resources"`
	Service   string            `json:"service"`
	LogType   string            `json:"logType"`
	Tags      map[string]string `json:"tags,omitempty"`
}

type deliveryDestination struct {
	Name   string            `json:"name"`
	Type   string            `json:"type"`
	Format string            `json:"format,omitempty"`
	Target string            `json:"target"`
	Policy string            `json:"policy,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

type deliveryRecord struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Destination string            `json:"destination"`
	Type        string            `json:"type"`
	Tags        map[string]string `json:"tags,omitempty"`
}

var (
	deliverySources      = storage.NewTable[deliverySource]("dsource")
	deliveryDestinations = storage.NewTable[deliveryDestination]("ddest")
	deliveries           = storage.NewTable[deliveryRecord]("delivery")
)

func logsARN(sc storage.Scope, kind, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:%s:%s", sc.Region, sc.Account, kind, name)
}

func sourceShape(sc storage.Scope, d deliverySource) *logsapi.DeliverySource {
	return &logsapi.DeliverySource{Name: ptr.To(d.Name), Arn: ptr.To(logsARN(sc, "delivery-source", d.Name)), ResourceArns: d.Resources,
		Service: ptr.To(d.Service), LogType: ptr.To(d.LogType), Tags: d.Tags}
}

func destShape(sc storage.Scope, d deliveryDestination) *logsapi.DeliveryDestination {
	return &logsapi.DeliveryDestination{Name: ptr.To(d.Name), Arn: ptr.To(logsARN(sc, "delivery-destination", d.Name)), DeliveryDestinationType: ptr.To(d.Type),
		OutputFormat: nilIfEmpty(d.Format), DeliveryDestinationConfiguration: &logsapi.DeliveryDestinationConfiguration{DestinationResourceArn: ptr.To(d.Target)}, Tags: d.Tags}
}

func deliveryShape(sc storage.Scope, d deliveryRecord) *logsapi.Delivery {
	return &logsapi.Delivery{Id: ptr.To(d.ID), Arn: ptr.To(logsARN(sc, "delivery", d.ID)), DeliverySourceName: ptr.To(d.Source),
		DeliveryDestinationArn: ptr.To(d.Destination), DeliveryDestinationType: ptr.To(d.Type), Tags: d.Tags}
}

// PutDeliverySource creates or updates a delivery source.
func (l *Logs) PutDeliverySource(ctx *request.Context, in *logsapi.PutDeliverySourceRequest) (*logsapi.PutDeliverySourceResponse, error) {
	sc := scope(ctx)
	res := ptr.Deref(in.ResourceArn)
	svc := events.ARNService(res)
	if svc == "" {
		return nil, logsapi.ErrValidationException.New("Invalid resource ARN: %s", res)
	}
	d := deliverySource{Name: ptr.Deref(in.Name), Resources: []string{res}, Service: svc, LogType: ptr.Deref(in.LogType), Tags: in.Tags}
	err := l.store.Update(func(tx storage.Tx) error {
		old, ok, err := deliverySources.Get(tx, sc, d.Name)
		if err != nil {
			return err
		}
		if ok && (old.Resources[0] != res || old.LogType != d.LogType) {
			return logsapi.ErrConflictException.New("A delivery source named %s already exists for another resource or log type.", d.Name)
		}
		if ok && d.Tags == nil {
			d.Tags = old.Tags
		}
		return deliverySources.Put(tx, sc, d, d.Name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDeliverySourceResponse{DeliverySource: sourceShape(sc, d)}, nil
}

// GetDeliverySource returns a delivery source.
func (l *Logs) GetDeliverySource(ctx *request.Context, in *logsapi.GetDeliverySourceRequest) (*logsapi.GetDeliverySourceResponse, error) {
	sc := scope(ctx)
	var d deliverySource
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getOr(tx, sc, deliverySources, ptr.Deref(in.Name), "delivery source")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.GetDeliverySourceResponse{DeliverySource: sourceShape(sc, d)}, nil
}

func getOr[T any](tx storage.Tx, sc storage.Scope, t storage.Table[T], key, what string) (T, error) {
	v, ok, err := t.Get(tx, sc, key)
	if err == nil && !ok {
		err = errNotFound(fmt.Sprintf("The specified %s does not exist.", what))
	}
	return v, err
}

// listPage lists a table keyed by one name, a page at a time.
func listPage[T any](l *Logs, sc storage.Scope, t storage.Table[T], limitP *int32, next *string, add func(T)) (*string, error) {
	max, err := limit(limitP, 50, 50)
	if err != nil {
		return nil, err
	}
	after, err := keyToken(next)
	if err != nil {
		return nil, err
	}
	var tok *string
	err = l.store.View(func(tx storage.Tx) error {
		n := 0
		var last []string
		return t.List(tx, sc, nil, storage.ListOptions{After: after}, func(k []string, v T) bool {
			if n == max {
				tok = pageToken(last)
				return false
			}
			n++
			last = k
			add(v)
			return true
		})
	})
	return tok, err
}

// DescribeDeliverySources lists delivery sources.
func (l *Logs) DescribeDeliverySources(ctx *request.Context, in *logsapi.DescribeDeliverySourcesRequest) (*logsapi.DescribeDeliverySourcesResponse, error) {
	sc := scope(ctx)
	out := &logsapi.DescribeDeliverySourcesResponse{DeliverySources: []logsapi.DeliverySource{}}
	tok, err := listPage(l, sc, deliverySources, in.Limit, in.NextToken, func(d deliverySource) {
		out.DeliverySources = append(out.DeliverySources, *sourceShape(sc, d))
	})
	out.NextToken = tok
	return out, err
}

// DeleteDeliverySource deletes a delivery source no delivery uses.
func (l *Logs) DeleteDeliverySource(ctx *request.Context, in *logsapi.DeleteDeliverySourceRequest) (*logsapi.DeleteDeliverySourceOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := getOr(tx, sc, deliverySources, name, "delivery source"); err != nil {
			return err
		}
		if used, err := inUse(tx, sc, func(d deliveryRecord) bool { return d.Source == name }); err != nil {
			return err
		} else if used {
			return logsapi.ErrConflictException.New("The delivery source %s is used by a delivery; delete the delivery first.", name)
		}
		return deliverySources.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDeliverySourceOutput{}, nil
}

func inUse(tx storage.Tx, sc storage.Scope, match func(deliveryRecord) bool) (bool, error) {
	found := false
	err := deliveries.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, d deliveryRecord) bool {
		found = match(d)
		return !found
	})
	return found, err
}

// PutDeliveryDestination creates or updates a delivery destination.
func (l *Logs) PutDeliveryDestination(ctx *request.Context, in *logsapi.PutDeliveryDestinationRequest) (*logsapi.PutDeliveryDestinationResponse, error) {
	sc := scope(ctx)
	target := ""
	if in.DeliveryDestinationConfiguration != nil {
		target = ptr.Deref(in.DeliveryDestinationConfiguration.DestinationResourceArn)
	}
	types := map[string]string{"logs": "CWL", "s3": "S3", "firehose": "FH"}
	typ, ok := types[events.ARNService(target)]
	if !ok {
		return nil, logsapi.ErrValidationException.New("Invalid destination resource ARN: %s. It must be a log group, an S3 bucket or a Firehose delivery stream.", target)
	}
	d := deliveryDestination{Name: ptr.Deref(in.Name), Type: typ, Format: ptr.Deref(in.OutputFormat), Target: target, Tags: in.Tags}
	err := l.store.Update(func(tx storage.Tx) error {
		old, ok, err := deliveryDestinations.Get(tx, sc, d.Name)
		if err != nil {
			return err
		}
		if ok {
			d.Policy = old.Policy
			if d.Tags == nil {
				d.Tags = old.Tags
			}
		}
		return deliveryDestinations.Put(tx, sc, d, d.Name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDeliveryDestinationResponse{DeliveryDestination: destShape(sc, d)}, nil
}

// GetDeliveryDestination returns a delivery destination.
func (l *Logs) GetDeliveryDestination(ctx *request.Context, in *logsapi.GetDeliveryDestinationRequest) (*logsapi.GetDeliveryDestinationResponse, error) {
	sc := scope(ctx)
	var d deliveryDestination
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getOr(tx, sc, deliveryDestinations, ptr.Deref(in.Name), "delivery destination")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.GetDeliveryDestinationResponse{DeliveryDestination: destShape(sc, d)}, nil
}

// DescribeDeliveryDestinations lists delivery destinations.
func (l *Logs) DescribeDeliveryDestinations(ctx *request.Context, in *logsapi.DescribeDeliveryDestinationsRequest) (*logsapi.DescribeDeliveryDestinationsResponse, error) {
	sc := scope(ctx)
	out := &logsapi.DescribeDeliveryDestinationsResponse{DeliveryDestinations: []logsapi.DeliveryDestination{}}
	tok, err := listPage(l, sc, deliveryDestinations, in.Limit, in.NextToken, func(d deliveryDestination) {
		out.DeliveryDestinations = append(out.DeliveryDestinations, *destShape(sc, d))
	})
	out.NextToken = tok
	return out, err
}

// DeleteDeliveryDestination deletes a destination no delivery uses.
func (l *Logs) DeleteDeliveryDestination(ctx *request.Context, in *logsapi.DeleteDeliveryDestinationRequest) (*logsapi.DeleteDeliveryDestinationOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	arn := logsARN(sc, "delivery-destination", name)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := getOr(tx, sc, deliveryDestinations, name, "delivery destination"); err != nil {
			return err
		}
		if used, err := inUse(tx, sc, func(d deliveryRecord) bool { return d.Destination == arn }); err != nil {
			return err
		} else if used {
			return logsapi.ErrConflictException.New("The delivery destination %s is used by a delivery; delete the delivery first.", name)
		}
		return deliveryDestinations.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDeliveryDestinationOutput{}, nil
}

// PutDeliveryDestinationPolicy sets who may deliver to a destination.
func (l *Logs) PutDeliveryDestinationPolicy(ctx *request.Context, in *logsapi.PutDeliveryDestinationPolicyRequest) (*logsapi.PutDeliveryDestinationPolicyResponse, error) {
	sc := scope(ctx)
	name, doc := ptr.Deref(in.DeliveryDestinationName), ptr.Deref(in.DeliveryDestinationPolicy)
	if err := checkPolicyJSON(doc, "Delivery destination policy"); err != nil {
		return nil, logsapi.ErrValidationException.New("%s", err.Error())
	}
	err := l.store.Update(func(tx storage.Tx) error {
		d, err := getOr(tx, sc, deliveryDestinations, name, "delivery destination")
		if err != nil {
			return err
		}
		d.Policy = doc
		return deliveryDestinations.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDeliveryDestinationPolicyResponse{Policy: &logsapi.Policy{DeliveryDestinationPolicy: ptr.To(doc)}}, nil
}

// GetDeliveryDestinationPolicy returns a destination's policy.
func (l *Logs) GetDeliveryDestinationPolicy(ctx *request.Context, in *logsapi.GetDeliveryDestinationPolicyRequest) (*logsapi.GetDeliveryDestinationPolicyResponse, error) {
	sc := scope(ctx)
	var d deliveryDestination
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getOr(tx, sc, deliveryDestinations, ptr.Deref(in.DeliveryDestinationName), "delivery destination")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.GetDeliveryDestinationPolicyResponse{Policy: &logsapi.Policy{DeliveryDestinationPolicy: nilIfEmpty(d.Policy)}}, nil
}

// DeleteDeliveryDestinationPolicy removes a destination's policy.
func (l *Logs) DeleteDeliveryDestinationPolicy(ctx *request.Context, in *logsapi.DeleteDeliveryDestinationPolicyRequest) (*logsapi.DeleteDeliveryDestinationPolicyOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.DeliveryDestinationName)
	err := l.store.Update(func(tx storage.Tx) error {
		d, err := getOr(tx, sc, deliveryDestinations, name, "delivery destination")
		if err != nil {
			return err
		}
		if d.Policy == "" {
			return errNotFound("The specified delivery destination has no policy.")
		}
		d.Policy = ""
		return deliveryDestinations.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDeliveryDestinationPolicyOutput{}, nil
}

// deliveryID is 16 letters and digits, as AWS's delivery ids are.
func deliveryID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// CreateDelivery links a source to a destination of this account.
func (l *Logs) CreateDelivery(ctx *request.Context, in *logsapi.CreateDeliveryRequest) (*logsapi.CreateDeliveryResponse, error) {
	sc := scope(ctx)
	src, dest := ptr.Deref(in.DeliverySourceName), ptr.Deref(in.DeliveryDestinationArn)
	d := deliveryRecord{ID: deliveryID(), Source: src, Destination: dest, Tags: in.Tags}
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := getOr(tx, sc, deliverySources, src, "delivery source"); err != nil {
			return err
		}
		name, ok := strings.CutPrefix(dest, logsARN(sc, "delivery-destination", ""))
		if !ok {
			return errNotFound("The specified delivery destination does not exist.")
		}
		dd, err := getOr(tx, sc, deliveryDestinations, name, "delivery destination")
		if err != nil {
			return err
		}
		d.Type = dd.Type
		if used, err := inUse(tx, sc, func(x deliveryRecord) bool { return x.Source == src && x.Destination == dest }); err != nil {
			return err
		} else if used {
			return logsapi.ErrConflictException.New("A delivery from %s to %s already exists.", src, dest)
		}
		return deliveries.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CreateDeliveryResponse{Delivery: deliveryShape(sc, d)}, nil
}

// GetDelivery returns a delivery.
func (l *Logs) GetDelivery(ctx *request.Context, in *logsapi.GetDeliveryRequest) (*logsapi.GetDeliveryResponse, error) {
	sc := scope(ctx)
	var d deliveryRecord
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getOr(tx, sc, deliveries, ptr.Deref(in.Id), "delivery")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.GetDeliveryResponse{Delivery: deliveryShape(sc, d)}, nil
}

// DescribeDeliveries lists deliveries.
func (l *Logs) DescribeDeliveries(ctx *request.Context, in *logsapi.DescribeDeliveriesRequest) (*logsapi.DescribeDeliveriesResponse, error) {
	sc := scope(ctx)
	out := &logsapi.DescribeDeliveriesResponse{Deliveries: []logsapi.Delivery{}}
	tok, err := listPage(l, sc, deliveries, in.Limit, in.NextToken, func(d deliveryRecord) {
		out.Deliveries = append(out.Deliveries, *deliveryShape(sc, d))
	})
	out.NextToken = tok
	return out, err
}

// DeleteDelivery deletes a delivery.
func (l *Logs) DeleteDelivery(ctx *request.Context, in *logsapi.DeleteDeliveryRequest) (*logsapi.DeleteDeliveryOutput, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.Id)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := getOr(tx, sc, deliveries, id, "delivery"); err != nil {
			return err
		}
		return deliveries.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDeliveryOutput{}, nil
}
