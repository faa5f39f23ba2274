package ses

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"time"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// importJob is a v2 import job: niwa runs it when it is created, so it
// is COMPLETED (or FAILED) at once.
type importJob struct {
	ID          string
	Dest        sesv2api.ImportDestination
	Source      sesv2api.ImportDataSource
	Status      string
	Error       string
	Created     time.Time
	Completed   time.Time
	Processed   int32
	Failed      int32
	Destination string // SUPPRESSION_LIST or CONTACT_LIST
}

var importJobs = storage.NewTable[importJob]("importjob")

// maxImportSize bounds the file an import job reads whole.
const maxImportSize = 100 << 20

// importRecord is one row: emailAddress, and reason (suppression list)
// or unsubscribeAll and attributesData (contact list).
type importRecord struct {
	EmailAddress   string `json:"emailAddress"`
	Reason         string `json:"reason"`
	UnsubscribeAll string `json:"unsubscribeAll"`
	AttributesData string `json:"attributesData"`
}

// parseImport reads CSV (a header row naming the columns) or JSON (one
// object per line) records.
func parseImport(data []byte, format string) ([]importRecord, error) {
	var out []importRecord
	if format == "JSON" {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var r importRecord
			var raw map[string]any
			if err := json.Unmarshal([]byte(line), &raw); err != nil {
				return nil, err
			}
			r.EmailAddress, _ = raw["emailAddress"].(string)
			r.Reason, _ = raw["reason"].(string)
			if b, ok := raw["unsubscribeAll"].(bool); ok && b {
				r.UnsubscribeAll = "true"
			}
			r.AttributesData, _ = raw["attributesData"].(string)
			out = append(out, r)
		}
		return out, sc.Err()
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	header, err := rd.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	for {
		row, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, importRecord{EmailAddress: get(row, "emailAddress"), Reason: get(row, "reason"),
			UnsubscribeAll: get(row, "unsubscribeAll"), AttributesData: get(row, "attributesData")})
	}
}

// CreateImportJob imports a suppression list or contact list file from
// S3, read as ses.amazonaws.com (the bucket policy must grant it
// s3:GetObject), and runs it at once.
func (s *V2) CreateImportJob(ctx *request.Context, in *sesv2api.CreateImportJobRequest) (*sesv2api.CreateImportJobResponse, error) {
	if in.ImportDestination == nil || in.ImportDataSource == nil {
		return nil, sesv2api.ErrBadRequestException.New("ImportDestination and ImportDataSource are required.")
	}
	dst, src := *in.ImportDestination, *in.ImportDataSource
	job := importJob{ID: awsid.UUID(), Dest: dst, Source: src, Created: ctx.Now(), Status: "COMPLETED"}
	switch {
	case dst.SuppressionListDestination != nil:
		job.Destination = "SUPPRESSION_LIST"
	case dst.ContactListDestination != nil:
		job.Destination = "CONTACT_LIST"
		if _, err := s.c.contactList(ctx, ptr.Deref(dst.ContactListDestination.ContactListName)); err != nil {
			return nil, err
		}
	default:
		return nil, sesv2api.ErrBadRequestException.New("An import destination is required.")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(ptr.Deref(src.S3Url), "s3://"), "/")
	if !strings.HasPrefix(ptr.Deref(src.S3Url), "s3://") || !ok || bucket == "" || key == "" {
		return nil, sesv2api.ErrBadRequestException.New("Invalid S3Url: %s", ptr.Deref(src.S3Url))
	}
	if f := ptr.Deref(src.DataFormat); f != "CSV" && f != "JSON" {
		return nil, sesv2api.ErrBadRequestException.New("Invalid DataFormat: %s", f)
	}
	recs, err := s.c.readImport(ctx, bucket, key, ptr.Deref(src.DataFormat))
	if err != nil {
		job.Status, job.Error = "FAILED", err.Error()
	} else {
		for _, r := range recs {
			if s.c.applyImport(ctx, dst, r) != nil {
				job.Failed++
			} else {
				job.Processed++
			}
		}
	}
	job.Completed = ctx.Now()
	if err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		return importJobs.Put(tx, scope(ctx.Account, ctx.Region), job, job.ID)
	}); err != nil {
		return nil, err
	}
	return &sesv2api.CreateImportJobResponse{JobId: ptr.To(job.ID)}, nil
}

func (c *Core) readImport(ctx *request.Context, bucket, key, format string) ([]importRecord, error) {
	if c.opt.Objects == nil {
		return nil, objects.ErrNoSuchBucket
	}
	rc, _, err := c.opt.Objects.OpenServiceObject(ctx, bucket, key, objects.Principal{Service: sesPrincipal, Region: ctx.Region, SourceAccount: ctx.Account})
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxImportSize+1))
	_ = rc.Close() // read whole; a close error loses nothing
	if err != nil {
		return nil, err
	}
	if len(data) > maxImportSize {
		return nil, objects.ErrTooLarge
	}
	return parseImport(data, format)
}

// applyImport puts or deletes one record.
func (c *Core) applyImport(ctx *request.Context, dst sesv2api.ImportDestination, r importRecord) error {
	if !strings.Contains(r.EmailAddress, "@") {
		return sesv2api.ErrBadRequestException.New("Invalid email address: %s", r.EmailAddress)
	}
	v2 := NewV2(c)
	if d := dst.SuppressionListDestination; d != nil {
		if ptr.Deref(d.SuppressionListImportAction) == "DELETE" {
			_, err := v2.DeleteSuppressedDestination(ctx, &sesv2api.DeleteSuppressedDestinationRequest{EmailAddress: ptr.To(r.EmailAddress)})
			return err
		}
		_, err := v2.PutSuppressedDestination(ctx, &sesv2api.PutSuppressedDestinationRequest{EmailAddress: ptr.To(r.EmailAddress), Reason: ptr.To(strings.ToUpper(r.Reason))})
		return err
	}
	d := dst.ContactListDestination
	list := ptr.Deref(d.ContactListName)
	if ptr.Deref(d.ContactListImportAction) == "DELETE" {
		_, err := v2.DeleteContact(ctx, &sesv2api.DeleteContactRequest{ContactListName: ptr.To(list), EmailAddress: ptr.To(r.EmailAddress)})
		return err
	}
	set := func(ct *contact) {
		ct.UnsubscribeAll = strings.EqualFold(r.UnsubscribeAll, "true")
		ct.Attributes = r.AttributesData
	}
	if err := c.putContact(ctx, list, r.EmailAddress, false, set); err == nil {
		return nil
	}
	return c.putContact(ctx, list, r.EmailAddress, true, set)
}

func summary(j importJob) sesv2api.ImportJobSummary {
	return sesv2api.ImportJobSummary{JobId: ptr.To(j.ID), ImportDestination: &j.Dest, JobStatus: ptr.To(j.Status), CreatedTimestamp: ptr.To(j.Created),
		ProcessedRecordsCount: ptr.To(j.Processed), FailedRecordsCount: ptr.To(j.Failed)}
}

// GetImportJob describes a job.
func (s *V2) GetImportJob(ctx *request.Context, in *sesv2api.GetImportJobRequest) (*sesv2api.GetImportJobResponse, error) {
	id := ptr.Deref(in.JobId)
	var j importJob
	var ok bool
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		j, ok, err = importJobs.Get(tx, scope(ctx.Account, ctx.Region), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Job %s does not exist.", id)
	}
	out := &sesv2api.GetImportJobResponse{JobId: ptr.To(j.ID), ImportDestination: &j.Dest, ImportDataSource: &j.Source, JobStatus: ptr.To(j.Status),
		CreatedTimestamp: ptr.To(j.Created), CompletedTimestamp: ptr.To(j.Completed), ProcessedRecordsCount: ptr.To(j.Processed), FailedRecordsCount: ptr.To(j.Failed)}
	if j.Error != "" {
		out.FailureInfo = &sesv2api.FailureInfo{ErrorMessage: ptr.To(j.Error)}
	}
	return out, nil
}

// ListImportJobs lists jobs, optionally of one destination type.
func (s *V2) ListImportJobs(ctx *request.Context, in *sesv2api.ListImportJobsRequest) (*sesv2api.ListImportJobsResponse, error) {
	var all []importJob
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return importJobs.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, j importJob) bool {
			if t := ptr.Deref(in.ImportDestinationType); t == "" || t == j.Destination {
				all = append(all, j)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	got, next := page(all, func(j importJob) string { return j.ID }, in.NextToken, in.PageSize)
	out := &sesv2api.ListImportJobsResponse{ImportJobs: []sesv2api.ImportJobSummary{}, NextToken: next}
	for _, j := range got {
		out.ImportJobs = append(out.ImportJobs, summary(j))
	}
	return out, nil
}
