package logs

import (
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// checkKeyARN holds a log group's key to the form Logs takes: a key ARN.
func checkKeyARN(key string) error {
	if !strings.HasPrefix(key, "arn:") || !strings.Contains(key, ":kms:") || !strings.Contains(key, ":key/") {
		return logsapi.ErrInvalidParameterException.New("Specified KMS key %s is not a valid key ARN.", key)
	}
	return nil
}

// checkKey asks KMS whether CloudWatch Logs may encrypt group's data
// under key: the key must exist, be enabled and symmetric, and its key
// policy must let the service principal logs.<region>.amazonaws.com use
// it for that group (encryption context aws:logs:arn), which AWS's
// default key policy does not. Any refusal is AWS's one
// AccessDeniedException, whatever KMS said.
func (l *Logs) checkKey(ctx *request.Context, group, key string) error {
	if l.opts.DataKeys == nil {
		return nil
	}
	arn := "arn:aws:logs:" + ctx.Region + ":" + ctx.Account + ":log-group:" + group
	_, err := l.opts.DataKeys.CheckService(ctx, key, kmsseam.ViaService("logs", ctx.Region), "GenerateDataKey",
		map[string]string{"aws:logs:arn": arn})
	if err != nil {
		return logsapi.ErrAccessDeniedException.New("The specified KMS key does not exist or is not allowed to be used with Arn '%s'", arn)
	}
	return nil
}

// checkGroupKey refuses to read or write a group's events while Logs
// cannot use its key: disabled, pending deletion, deleted, or its key
// policy no longer lets logs.<region>.amazonaws.com use it for the group
// (AWS: the group's data "can no longer be retrieved" and new events
// cannot be encrypted). The refusal is the AccessDeniedException Logs
// answers for a key it may not use. A group without a key, or one that
// does not exist (the operation answers that itself), passes.
func (l *Logs) checkGroupKey(ctx *request.Context, gname string) error {
	if l.opts.DataKeys == nil {
		return nil
	}
	var key string
	if err := l.store.View(func(tx storage.Tx) error {
		g, ok, err := groups.Get(tx, scope(ctx), gname)
		if ok {
			key = g.KmsKeyID
		}
		return err
	}); err != nil || key == "" {
		return err
	}
	return l.checkKey(ctx, gname, key)
}
