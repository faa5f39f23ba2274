package ec2

import (
	"encoding/json"
	"errors"
	"fmt"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// tgwExport is the JSON file ExportTransitGatewayRoutes writes, in the
// shape the Transit Gateways Guide shows ("filter" and "routes", with
// lower camel-case members).
type tgwExport struct {
	Filter []tgwExportFilter `json:"filter"`
	Routes []tgwExportRoute  `json:"routes"`
}

type tgwExportFilter struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

type tgwExportRoute struct {
	DestinationCidrBlock      string                `json:"destinationCidrBlock"`
	TransitGatewayAttachments []tgwExportAttachment `json:"transitGatewayAttachments,omitempty"`
	Type                      string                `json:"type"`
	State                     string                `json:"state"`
}

type tgwExportAttachment struct {
	ResourceID   string `json:"resourceId"`
	AttachmentID string `json:"transitGatewayAttachmentId"`
	ResourceType string `json:"resourceType"`
}

// ExportTransitGatewayRoutes writes a route table's routes (filtered as
// SearchTransitGatewayRoutes filters them) to an S3 bucket, as the
// caller: the bucket must exist and let the caller put the object.
func (s *EC2) ExportTransitGatewayRoutes(ctx *request.Context, in *ec2api.ExportTransitGatewayRoutesRequest) (*ec2api.ExportTransitGatewayRoutesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if s.opts.Objects == nil {
		return nil, errInvalidParameterValue.New("The S3 bucket %s cannot be written: S3 is not running in this niwa.", ptr.Deref(in.S3Bucket))
	}
	rt := ptr.Deref(in.TransitGatewayRouteTableId)
	routes, err := s.tgwRoutes(ctx, rt, in.Filters)
	if err != nil {
		return nil, err
	}
	doc := tgwExport{Filter: []tgwExportFilter{}, Routes: []tgwExportRoute{}}
	for _, f := range in.Filters {
		doc.Filter = append(doc.Filter, tgwExportFilter{Name: ptr.Deref(f.Name), Values: f.Values})
	}
	for _, r := range routes {
		er := tgwExportRoute{DestinationCidrBlock: ptr.Deref(r.DestinationCidrBlock), Type: ptr.Deref(r.Type), State: ptr.Deref(r.State)}
		for _, a := range r.TransitGatewayAttachments {
			er.TransitGatewayAttachments = append(er.TransitGatewayAttachments, tgwExportAttachment{ResourceID: ptr.Deref(a.ResourceId),
				AttachmentID: ptr.Deref(a.TransitGatewayAttachmentId), ResourceType: ptr.Deref(a.ResourceType)})
		}
		doc.Routes = append(doc.Routes, er)
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	bucket := ptr.Deref(in.S3Bucket)
	// The file name holds the account, region, route table and time.
	key := fmt.Sprintf("VPCTransitGateway/TransitGatewayRouteTables/%s_%s_%s_%s.json", ctx.Account, ctx.Region, rt, ctx.Now().UTC().Format("20060102T150405Z"))
	p := objects.Principal{CallerARN: ctx.Caller.ARN, CallerAccount: ctx.Account, Region: ctx.Region}
	switch err := s.opts.Objects.PutServiceObject(ctx, bucket, key, body, p); {
	case errors.Is(err, objects.ErrNoSuchBucket):
		return nil, errInvalidParameterValue.New("The S3 bucket %s does not exist.", bucket)
	case errors.Is(err, objects.ErrAccessDenied):
		return nil, errInvalidParameterValue.New("Access to the S3 bucket %s is denied; its policy must let the caller put objects.", bucket)
	case err != nil:
		return nil, err
	}
	return &ec2api.ExportTransitGatewayRoutesResult{S3Location: ptr.To("s3://" + bucket + "/" + key)}, nil
}
