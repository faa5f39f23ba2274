package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// exportTask is a stored export task.
type exportTask struct {
	ID                  string `json:"id"`
	Name                string `json:"name,omitempty"`
	Group               string `json:"group"`
	LogStreamNamePrefix string `json:"streamPrefix,omitempty"`
	From                int64  `json:"from"`
	To                  int64  `json:"to"`
	Bucket              string `json:"bucket"`
	Prefix              string `json:"prefix"`
	Code                string `json:"code"`
	Message             string `json:"message"`
	Created             int64  `json:"created"`
	Completed           int64  `json:"completed,omitempty"`
}

var exportTasks = storage.NewTable[exportTask]("export")

// AWS's answers when the destination bucket cannot be used.
const (
	exportBucketError   = "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation."
	exportNoBucket      = "The given bucket does not exist. Please make sure the bucket is valid."
	exportRegionError   = "The specified bucket is in a different region. Please make sure the bucket is in the same region as the log group."
	exportPutDenied     = "PutObject call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation."
	exportNoObjectStore = "niwa was started without S3, so export tasks cannot write their objects."
)

// exportStartDelay is how long (clock time) a task stays PENDING before
// it runs: AWS starts tasks within seconds; a caller can watch the states
// and cancel a pending task.
const exportStartDelay = time.Second

// exportPrincipal is who writes the objects: the Logs service principal
// for the group, which the bucket policy must allow (docs/logs.md).
func exportPrincipal(sc storage.Scope, group string) objects.Principal {
	return objects.Principal{Service: "logs.amazonaws.com", Region: sc.Region,
		SourceAccount: sc.Account, SourceARN: groupARN(sc, group) + ":*"}
}

// CreateExportTask exports a group's events between from and to into an
// S3 bucket as AWS lays them out: <prefix>/<taskId>/<stream>/000000.gz,
// gzip text with one "<RFC 3339 time> <message>" line per event, plus the
// <prefix>/aws-logs-write-test object AWS writes first. The bucket (its
// existence, region and the GetBucketAcl grant) is checked now, as AWS
// does; the task is PENDING, then RUNNING and COMPLETED (or FAILED when
// the PutObject grant is missing) on the clock. One task per account may
// be active.
func (l *Logs) CreateExportTask(ctx *request.Context, in *logsapi.CreateExportTaskRequest) (*logsapi.CreateExportTaskResponse, error) {
	sc := scope(ctx)
	gname, bucket := ptr.Deref(in.LogGroupName), ptr.Deref(in.Destination)
	if in.From == nil || in.To == nil {
		return nil, logsapi.ErrInvalidParameterException.New("from and to must be specified.")
	}
	from, to := *in.From, *in.To
	if from >= to {
		return nil, logsapi.ErrInvalidParameterException.New("Specified time range of '%d' and '%d' is not valid. Please make sure the values are within the retention period of the log group and from value is less than the to values", from, to)
	}
	prefix := "exportedlogs"
	if in.DestinationPrefix != nil {
		prefix = strings.Trim(*in.DestinationPrefix, "/")
	}
	now := ms(ctx.Now())
	t := exportTask{ID: newID(), Name: ptr.Deref(in.TaskName), Group: gname, LogStreamNamePrefix: ptr.Deref(in.LogStreamNamePrefix),
		From: from, To: to, Bucket: bucket, Prefix: prefix, Created: now, Code: "PENDING", Message: "Pending"}
	if err := l.store.View(func(tx storage.Tx) error {
		_, err := l.getGroup(tx, sc, gname)
		return err
	}); err != nil {
		return nil, err
	}
	if l.opts.Objects == nil {
		t.Code, t.Message, t.Completed = "FAILED", exportNoObjectStore, now
	} else {
		region, _, err := l.opts.Objects.CheckObjectAccess(ctx, bucket, prefix, exportPrincipal(sc, gname), "s3:GetBucketAcl")
		switch {
		case errors.Is(err, objects.ErrNoSuchBucket):
			return nil, logsapi.ErrInvalidParameterException.New("%s", exportNoBucket)
		case errors.Is(err, objects.ErrAccessDenied):
			return nil, logsapi.ErrInvalidParameterException.New("%s", exportBucketError)
		case err != nil:
			return nil, err
		case region != "" && region != sc.Region:
			return nil, logsapi.ErrInvalidParameterException.New("%s", exportRegionError)
		}
	}
	err := l.store.Update(func(tx storage.Tx) error {
		active := false
		if err := exportTasks.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o exportTask) bool {
			active = o.Code == "PENDING" || o.Code == "RUNNING"
			return !active
		}); err != nil {
			return err
		}
		if active && t.Code == "PENDING" {
			return logsapi.ErrLimitExceededException.New("Resource limit exceeded.")
		}
		return exportTasks.Put(tx, sc, t, t.ID)
	})
	if err != nil {
		return nil, err
	}
	if t.Code == "PENDING" {
		l.clock.AfterFunc(exportStartDelay, func() { l.runExport(sc, t.ID) })
	}
	return &logsapi.CreateExportTaskResponse{TaskId: ptr.To(t.ID)}, nil
}

// setExport moves a task to code unless it was cancelled meanwhile;
// it reports whether the task is still live.
func (l *Logs) setExport(sc storage.Scope, id, code, message string) (exportTask, bool) {
	var t exportTask
	live := false
	err := l.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		t, ok, err = exportTasks.Get(tx, sc, id)
		if err != nil || !ok || t.Code == "CANCELLED" {
			return err
		}
		live = true
		t.Code, t.Message = code, message
		if code != "RUNNING" {
			t.Completed = ms(l.clock.Now())
		}
		return exportTasks.Put(tx, sc, t, id)
	})
	return t, err == nil && live
}

// runExport runs a pending task: RUNNING, the objects, then COMPLETED
// or FAILED with the reason.
func (l *Logs) runExport(sc storage.Scope, id string) {
	t, ok := l.setExport(sc, id, "RUNNING", "Started successfully")
	if !ok {
		return
	}
	code, msg := "COMPLETED", "Completed successfully"
	if err := l.writeExport(sc, t); err != nil {
		code, msg = "FAILED", err.Error()
	}
	l.setExport(sc, id, code, msg)
}

// writeExport writes AWS's write test object, then one object per stream
// with events in [From, To) (within retention), oldest first.
func (l *Logs) writeExport(sc storage.Scope, t exportTask) error {
	perStream := map[string][]event{}
	now := ms(l.clock.Now())
	err := l.store.View(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, t.Group)
		if err != nil {
			return err
		}
		cut := retentionCutoff(g, now)
		return evs.List(tx, sc, []string{t.Group}, storage.ListOptions{Partial: t.LogStreamNamePrefix}, func(k []string, e event) bool {
			if e.Timestamp >= t.From && e.Timestamp < t.To && e.Timestamp >= cut {
				perStream[k[1]] = append(perStream[k[1]], e)
			}
			return true
		})
	})
	if err != nil {
		//lint:ignore ST1005 the export task's status message is CloudWatch Logs' text, word for word.
		return errors.New("The specified log group does not exist.")
	}
	p := exportPrincipal(sc, t.Group)
	put := func(key string, body []byte) error {
		err := l.opts.Objects.PutServiceObject(context.Background(), t.Bucket, strings.TrimPrefix(key, "/"), body, p)
		switch {
		case errors.Is(err, objects.ErrAccessDenied):
			//lint:ignore ST1005 CloudWatch Logs' text, word for word.
			return errors.New(exportPutDenied)
		case errors.Is(err, objects.ErrNoSuchBucket):
			//lint:ignore ST1005 CloudWatch Logs' text, word for word.
			return errors.New(exportNoBucket)
		}
		return err
	}
	if err := put(t.Prefix+"/aws-logs-write-test", []byte("Permission Check Successful")); err != nil {
		return err
	}
	names := make([]string, 0, len(perStream))
	for n := range perStream {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !l.exportLive(sc, t.ID) {
			return nil // cancelled: nothing more is written
		}
		evs := perStream[n]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Timestamp < evs[j].Timestamp })
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for _, e := range evs {
			fmt.Fprintf(zw, "%s %s\n", time.UnixMilli(e.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z"), e.Message)
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := put(t.Prefix+"/"+t.ID+"/"+n+"/000000.gz", buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// exportLive reports whether a task is still RUNNING (not cancelled).
func (l *Logs) exportLive(sc storage.Scope, id string) bool {
	live := false
	_ = l.store.View(func(tx storage.Tx) error {
		t, ok, err := exportTasks.Get(tx, sc, id)
		live = err == nil && ok && t.Code == "RUNNING"
		return err
	})
	return live
}

func exportShape(t exportTask) logsapi.ExportTask {
	out := logsapi.ExportTask{TaskId: ptr.To(t.ID), TaskName: nilIfEmpty(t.Name), LogGroupName: ptr.To(t.Group), From: ptr.To(t.From), To: ptr.To(t.To),
		Destination: ptr.To(t.Bucket), DestinationPrefix: ptr.To(t.Prefix), Status: &logsapi.ExportTaskStatus{Code: ptr.To(t.Code), Message: ptr.To(t.Message)},
		ExecutionInfo: &logsapi.ExportTaskExecutionInfo{CreationTime: ptr.To(t.Created)}}
	if t.Completed != 0 {
		out.ExecutionInfo.CompletionTime = ptr.To(t.Completed)
	}
	return out
}

// DescribeExportTasks lists export tasks, newest first.
func (l *Logs) DescribeExportTasks(ctx *request.Context, in *logsapi.DescribeExportTasksRequest) (*logsapi.DescribeExportTasksResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var all []exportTask
	err = l.store.View(func(tx storage.Tx) error {
		return exportTasks.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, t exportTask) bool {
			if in.TaskId != nil && t.ID != *in.TaskId || in.StatusCode != nil && t.Code != *in.StatusCode {
				return true
			}
			all = append(all, t)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Created != all[j].Created {
			return all[i].Created > all[j].Created
		}
		return all[i].ID < all[j].ID
	})
	page, next, err := pageAfter(all, func(t exportTask) string { return t.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeExportTasksResponse{ExportTasks: []logsapi.ExportTask{}, NextToken: next}
	for _, t := range page {
		out.ExportTasks = append(out.ExportTasks, exportShape(t))
	}
	return out, nil
}

// CancelExportTask cancels a pending or running task; a running task
// stops before its next object.
func (l *Logs) CancelExportTask(ctx *request.Context, in *logsapi.CancelExportTaskRequest) (*logsapi.CancelExportTaskOutput, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.TaskId)
	err := l.store.Update(func(tx storage.Tx) error {
		t, ok, err := exportTasks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("The specified export task does not exist.")
		}
		if t.Code != "PENDING" && t.Code != "RUNNING" {
			return logsapi.ErrInvalidOperationException.New("The specified export task has already finished")
		}
		t.Code, t.Message, t.Completed = "CANCELLED", "Cancelled by user", ms(ctx.Now())
		return exportTasks.Put(tx, sc, t, id)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CancelExportTaskOutput{}, nil
}
