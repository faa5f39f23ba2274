package ses

import (
	"strings"
	"unicode"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// The destinations that receive nothing (niwa has no CloudWatch metrics
// from SES, no Firehose, no Pinpoint) are still kept as given, so that
// both APIs read them back: v1 names dimension sources messageTag,
// v2 MESSAGE_TAG.

// cwDim is one CloudWatch dimension of a destination.
type cwDim struct {
	Name, Source, Default string
}

// upperSnake is v2's name of a v1 value (messageTag: MESSAGE_TAG).
func upperSnake(v string) string {
	if strings.ToUpper(v) == v {
		return v
	}
	var b strings.Builder
	for i, c := range v {
		if unicode.IsUpper(c) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

// lowerCamel is v1's name of a v2 value (MESSAGE_TAG: messageTag).
func lowerCamel(v string) string {
	if strings.ToUpper(v) != v {
		return v
	}
	parts := strings.Split(strings.ToLower(v), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func (d *eventDest) setV1(e *sesapi.EventDestination) {
	if e.CloudWatchDestination != nil {
		d.CloudWatch = []cwDim{}
		for _, c := range e.CloudWatchDestination.DimensionConfigurations {
			d.CloudWatch = append(d.CloudWatch, cwDim{ptr.Deref(c.DimensionName), ptr.Deref(c.DimensionValueSource), ptr.Deref(c.DefaultDimensionValue)})
		}
	}
	if f := e.KinesisFirehoseDestination; f != nil {
		d.FirehoseStream, d.FirehoseRole = ptr.Deref(f.DeliveryStreamARN), ptr.Deref(f.IAMRoleARN)
	}
}

func (d *eventDest) setV2(e *sesv2api.EventDestinationDefinition) {
	if e.CloudWatchDestination != nil {
		d.CloudWatch = []cwDim{}
		for _, c := range e.CloudWatchDestination.DimensionConfigurations {
			d.CloudWatch = append(d.CloudWatch, cwDim{ptr.Deref(c.DimensionName), ptr.Deref(c.DimensionValueSource), ptr.Deref(c.DefaultDimensionValue)})
		}
	}
	if f := e.KinesisFirehoseDestination; f != nil {
		d.FirehoseStream, d.FirehoseRole = ptr.Deref(f.DeliveryStreamArn), ptr.Deref(f.IamRoleArn)
	}
	if p := e.PinpointDestination; p != nil {
		d.PinpointApp = ptr.Deref(p.ApplicationArn)
	}
}

func (d eventDest) v1(e *sesapi.EventDestination) {
	if d.CloudWatch != nil {
		cw := &sesapi.CloudWatchDestination{DimensionConfigurations: []sesapi.CloudWatchDimensionConfiguration{}}
		for _, c := range d.CloudWatch {
			cw.DimensionConfigurations = append(cw.DimensionConfigurations, sesapi.CloudWatchDimensionConfiguration{
				DimensionName: ptr.To(c.Name), DimensionValueSource: ptr.To(lowerCamel(c.Source)), DefaultDimensionValue: ptr.To(c.Default)})
		}
		e.CloudWatchDestination = cw
	}
	if d.FirehoseStream != "" {
		e.KinesisFirehoseDestination = &sesapi.KinesisFirehoseDestination{DeliveryStreamARN: ptr.To(d.FirehoseStream), IAMRoleARN: ptr.To(d.FirehoseRole)}
	}
}

func (d eventDest) v2(e *sesv2api.EventDestination) {
	if d.CloudWatch != nil {
		cw := &sesv2api.CloudWatchDestination{DimensionConfigurations: []sesv2api.CloudWatchDimensionConfiguration{}}
		for _, c := range d.CloudWatch {
			cw.DimensionConfigurations = append(cw.DimensionConfigurations, sesv2api.CloudWatchDimensionConfiguration{
				DimensionName: ptr.To(c.Name), DimensionValueSource: ptr.To(upperSnake(c.Source)), DefaultDimensionValue: ptr.To(c.Default)})
		}
		e.CloudWatchDestination = cw
	}
	if d.FirehoseStream != "" {
		e.KinesisFirehoseDestination = &sesv2api.KinesisFirehoseDestination{DeliveryStreamArn: ptr.To(d.FirehoseStream), IamRoleArn: ptr.To(d.FirehoseRole)}
	}
	if d.PinpointApp != "" {
		e.PinpointDestination = &sesv2api.PinpointDestination{ApplicationArn: ptr.To(d.PinpointApp)}
	}
}
