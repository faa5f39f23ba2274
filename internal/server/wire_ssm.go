package server

import (
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
	"github.com/niwa-cloud/niwa/internal/service/ssm"
)

// wireSSM wires Parameter Store: SecureString values go through the KMS
// seam as the caller, the public AMI parameters resolve to EC2's image
// catalog, and policy actions and changes are events on the bus. The
// other Systems Manager operations answer NotImplemented naming
// themselves.
func wireSSM(d *deps) (*wiring, error) {
	store, err := d.store("ssm")
	if err != nil {
		return nil, err
	}
	svc := ssm.New(store, d.clock, ssm.Options{Keys: d.dataKeysOf(), Images: ssmImages{ec2: d.ec2}, Bus: d.bus, Log: d.log})
	return &wiring{Declaration: svc.Declare()}, nil
}

// ssmImages is EC2's image catalog as Parameter Store reads it.
type ssmImages struct{ ec2 *ec2.EC2 }

func (i ssmImages) Public(region string) []ssm.Image {
	cat := images.Catalog(region)
	out := make([]ssm.Image, 0, len(cat))
	for _, im := range cat {
		created, _ := time.Parse(time.RFC3339, im.Created)
		out = append(out, ssm.Image{ID: im.ID, Name: im.Name, Created: created})
	}
	return out
}

// Exists asks EC2 whether the caller's account sees the image (public or
// its own).
func (i ssmImages) Exists(ctx *request.Context, id string) (bool, error) {
	if i.ec2 == nil {
		return true, nil
	}
	out, err := i.ec2.DescribeImages(ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{id}})
	if err != nil {
		if e := awserr.As(err); e.Code.Code == "InvalidAMIID.NotFound" || e.Code.Code == "InvalidAMIID.Malformed" {
			return false, nil
		}
		return false, err
	}
	return len(out.Images) > 0, nil
}
