package s3

import (
	"strconv"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnBucketSettings are the AWS::S3::Bucket properties applied with their
// own Put call after the bucket exists, each changed in place: set when
// the template sets (or changes) it, removed when the template drops it.
// The template's shapes differ from the API's (CorsRules vs CORSRules,
// Event vs Events, ...): each has its mapping.
func (s *S3) cfnBucketSettings(ctx *request.Context, name string, props, old map[string]any) error {
	for _, set := range []struct {
		prop        string
		put, remove func(map[string]any) error
	}{
		{"CorsConfiguration", func(p map[string]any) error {
			cfg, err := cfnCors(p)
			if err != nil {
				return err
			}
			_, err = s.PutBucketCors(ctx, &s3api.PutBucketCorsInput{Bucket: &name, CORSConfiguration: cfg})
			return err
		}, func(map[string]any) error {
			_, err := s.DeleteBucketCors(ctx, &s3api.DeleteBucketCorsInput{Bucket: &name})
			return err
		}},
		{"WebsiteConfiguration", func(p map[string]any) error {
			_, err := s.PutBucketWebsite(ctx, &s3api.PutBucketWebsiteInput{Bucket: &name, WebsiteConfiguration: cfnWebsite(p)})
			return err
		}, func(map[string]any) error {
			_, err := s.DeleteBucketWebsite(ctx, &s3api.DeleteBucketWebsiteInput{Bucket: &name})
			return err
		}},
		{"LoggingConfiguration", func(p map[string]any) error {
			l := kit.PropMap(p, "LoggingConfiguration")
			target := kit.PropStr(l, "DestinationBucketName")
			if target == "" {
				// Without a destination AWS's provider logs to the
				// bucket itself.
				target = name
			}
			_, err := s.PutBucketLogging(ctx, &s3api.PutBucketLoggingInput{Bucket: &name, BucketLoggingStatus: &s3api.BucketLoggingStatus{
				LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: &target, TargetPrefix: ptr.To(kit.PropStr(l, "LogFilePrefix"))}}})
			return err
		}, func(map[string]any) error {
			_, err := s.PutBucketLogging(ctx, &s3api.PutBucketLoggingInput{Bucket: &name, BucketLoggingStatus: &s3api.BucketLoggingStatus{}})
			return err
		}},
		{"AccelerateConfiguration", func(p map[string]any) error {
			st := kit.PropStr(kit.PropMap(p, "AccelerateConfiguration"), "AccelerationStatus")
			_, err := s.PutBucketAccelerateConfiguration(ctx, &s3api.PutBucketAccelerateConfigurationInput{Bucket: &name,
				AccelerateConfiguration: &s3api.AccelerateConfiguration{Status: &st}})
			return err
		}, func(map[string]any) error {
			_, err := s.PutBucketAccelerateConfiguration(ctx, &s3api.PutBucketAccelerateConfigurationInput{Bucket: &name,
				AccelerateConfiguration: &s3api.AccelerateConfiguration{Status: ptr.To("Suspended")}})
			return err
		}},
		{"OwnershipControls", func(p map[string]any) error {
			var oc s3api.OwnershipControls
			if err := kit.DecodeProp(p, "OwnershipControls", &oc); err != nil {
				return awserr.ValidationError.New("OwnershipControls: %v", err)
			}
			_, err := s.PutBucketOwnershipControls(ctx, &s3api.PutBucketOwnershipControlsInput{Bucket: &name, OwnershipControls: &oc})
			return err
		}, func(map[string]any) error {
			_, err := s.DeleteBucketOwnershipControls(ctx, &s3api.DeleteBucketOwnershipControlsInput{Bucket: &name})
			return err
		}},
		{"ObjectLockConfiguration", func(p map[string]any) error {
			var cfg s3api.ObjectLockConfiguration
			if err := kit.DecodeProp(p, "ObjectLockConfiguration", &cfg); err != nil {
				return awserr.ValidationError.New("ObjectLockConfiguration: %v", err)
			}
			_, err := s.PutObjectLockConfiguration(ctx, &s3api.PutObjectLockConfigurationInput{Bucket: &name, ObjectLockConfiguration: &cfg})
			return err
		}, nil}, // object lock, once enabled, stays (as on AWS)
		{"NotificationConfiguration", func(p map[string]any) error {
			cfg, err := cfnNotifications(p)
			if err != nil {
				return err
			}
			_, err = s.PutBucketNotificationConfiguration(ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: &name, NotificationConfiguration: cfg})
			return err
		}, func(map[string]any) error {
			_, err := s.PutBucketNotificationConfiguration(ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: &name,
				NotificationConfiguration: &s3api.NotificationConfiguration{}})
			return err
		}},
	} {
		switch {
		case kit.Has(props, set.prop):
			if kit.PropJSON(props, set.prop) != kit.PropJSON(old, set.prop) {
				if err := set.put(props); err != nil {
					return err
				}
			}
		case kit.Has(old, set.prop) && set.remove != nil:
			if err := set.remove(props); err != nil {
				return err
			}
		}
	}
	return nil
}

// cfnCors maps CorsConfiguration.CorsRules to the API's CORSRules (Id →
// ID, ExposedHeaders → ExposeHeaders, MaxAge → MaxAgeSeconds).
func cfnCors(props map[string]any) (*s3api.CORSConfiguration, error) {
	cfg := &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{}}
	rules, _ := kit.PropMap(props, "CorsConfiguration")["CorsRules"].([]any)
	for _, x := range rules {
		m, _ := x.(map[string]any)
		rule := s3api.CORSRule{AllowedHeaders: kit.PropList(m, "AllowedHeaders"), AllowedMethods: kit.PropList(m, "AllowedMethods"),
			AllowedOrigins: kit.PropList(m, "AllowedOrigins"), ExposeHeaders: kit.PropList(m, "ExposedHeaders")}
		if id := kit.PropStr(m, "Id"); id != "" {
			rule.ID = &id
		}
		if kit.Has(m, "MaxAge") {
			n, err := strconv.ParseInt(kit.PropStr(m, "MaxAge"), 10, 32)
			if err != nil {
				return nil, awserr.ValidationError.New("CorsConfiguration MaxAge must be an integer")
			}
			rule.MaxAgeSeconds = ptr.To(int32(n))
		}
		cfg.CORSRules = append(cfg.CORSRules, rule)
	}
	return cfg, nil
}

func optStr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// cfnWebsite maps WebsiteConfiguration (IndexDocument and ErrorDocument
// as names, RoutingRules' RoutingRuleCondition and RedirectRule).
func cfnWebsite(props map[string]any) *s3api.WebsiteConfiguration {
	w := kit.PropMap(props, "WebsiteConfiguration")
	cfg := &s3api.WebsiteConfiguration{}
	if v := kit.PropStr(w, "IndexDocument"); v != "" {
		cfg.IndexDocument = &s3api.IndexDocument{Suffix: &v}
	}
	if v := kit.PropStr(w, "ErrorDocument"); v != "" {
		cfg.ErrorDocument = &s3api.ErrorDocument{Key: &v}
	}
	if m := kit.PropMap(w, "RedirectAllRequestsTo"); m != nil {
		cfg.RedirectAllRequestsTo = &s3api.RedirectAllRequestsTo{HostName: optStr(kit.PropStr(m, "HostName")), Protocol: optStr(kit.PropStr(m, "Protocol"))}
	}
	rules, _ := w["RoutingRules"].([]any)
	for _, x := range rules {
		m, _ := x.(map[string]any)
		rule := s3api.RoutingRule{}
		if c := kit.PropMap(m, "RoutingRuleCondition"); c != nil {
			rule.Condition = &s3api.Condition{HttpErrorCodeReturnedEquals: optStr(kit.PropStr(c, "HttpErrorCodeReturnedEquals")),
				KeyPrefixEquals: optStr(kit.PropStr(c, "KeyPrefixEquals"))}
		}
		if rd := kit.PropMap(m, "RedirectRule"); rd != nil {
			rule.Redirect = &s3api.Redirect{HostName: optStr(kit.PropStr(rd, "HostName")), HttpRedirectCode: optStr(kit.PropStr(rd, "HttpRedirectCode")),
				Protocol: optStr(kit.PropStr(rd, "Protocol")), ReplaceKeyPrefixWith: optStr(kit.PropStr(rd, "ReplaceKeyPrefixWith")),
				ReplaceKeyWith: optStr(kit.PropStr(rd, "ReplaceKeyWith"))}
		}
		cfg.RoutingRules = append(cfg.RoutingRules, rule)
	}
	return cfg
}

// cfnNotifications maps NotificationConfiguration: one Event per entry
// (the API takes a list), Queue/Topic/Function for the ARNs, and
// Filter.S3Key.Rules for Filter.Key.FilterRules.
func cfnNotifications(props map[string]any) (*s3api.NotificationConfiguration, error) {
	n := kit.PropMap(props, "NotificationConfiguration")
	cfg := &s3api.NotificationConfiguration{}
	if eb := kit.PropMap(n, "EventBridgeConfiguration"); eb != nil && (!kit.Has(eb, "EventBridgeEnabled") || kit.PropBool(eb, "EventBridgeEnabled")) {
		cfg.EventBridgeConfiguration = &s3api.EventBridgeConfiguration{}
	}
	filter := func(m map[string]any) *s3api.NotificationConfigurationFilter {
		rules, _ := kit.PropMap(kit.PropMap(m, "Filter"), "S3Key")["Rules"].([]any)
		if len(rules) == 0 {
			return nil
		}
		f := &s3api.NotificationConfigurationFilter{Key: &s3api.S3KeyFilter{}}
		for _, x := range rules {
			r, _ := x.(map[string]any)
			f.Key.FilterRules = append(f.Key.FilterRules, s3api.FilterRule{Name: ptr.To(kit.PropStr(r, "Name")), Value: ptr.To(kit.PropStr(r, "Value"))})
		}
		return f
	}
	each := func(list string, add func(m map[string]any, events []string, f *s3api.NotificationConfigurationFilter)) {
		l, _ := n[list].([]any)
		for _, x := range l {
			m, _ := x.(map[string]any)
			add(m, []string{kit.PropStr(m, "Event")}, filter(m))
		}
	}
	each("QueueConfigurations", func(m map[string]any, ev []string, f *s3api.NotificationConfigurationFilter) {
		cfg.QueueConfigurations = append(cfg.QueueConfigurations, s3api.QueueConfiguration{QueueArn: ptr.To(kit.PropStr(m, "Queue")), Events: ev, Filter: f})
	})
	each("TopicConfigurations", func(m map[string]any, ev []string, f *s3api.NotificationConfigurationFilter) {
		cfg.TopicConfigurations = append(cfg.TopicConfigurations, s3api.TopicConfiguration{TopicArn: ptr.To(kit.PropStr(m, "Topic")), Events: ev, Filter: f})
	})
	each("LambdaConfigurations", func(m map[string]any, ev []string, f *s3api.NotificationConfigurationFilter) {
		cfg.LambdaFunctionConfigurations = append(cfg.LambdaFunctionConfigurations, s3api.LambdaFunctionConfiguration{
			LambdaFunctionArn: ptr.To(kit.PropStr(m, "Function")), Events: ev, Filter: f})
	})
	return cfg, nil
}
