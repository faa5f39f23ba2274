package server

import (
	"github.com/niwa-cloud/niwa/internal/service/cloudfront"
)

// wireCloudFront wires CloudFront with S3 behind its S3 origins (read as
// cloudfront.amazonaws.com or an origin access identity, under the
// bucket policy) and ACM behind its alternate domain names' certificates
// (after ACM in services.go).
func wireCloudFront(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("cloudfront")
	if err != nil {
		return nil, err
	}
	opt := cloudfront.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log, Region: kd.Region, Objects: d.objectStore()}
	if d.acm != nil {
		opt.Certificates = acmCertificates{d.acm, d.clock, d.log}
	}
	svc := cloudfront.New(opt)
	return &wiring{Declaration: svc.Declare()}, nil
}
