package s3

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Inventory reports (S3 User Guide, "Cataloging and analyzing your data
// with S3 Inventory"): each enabled CSV inventory configuration is
// delivered by the lifecycle sweep, on niwa's clock, once its period
// (a day, or a week) has passed since the last delivery — the first one
// at the first sweep after the configuration is saved. A delivery writes,
// under <prefix>/<source bucket>/<configuration id>/ in the destination
// bucket, a gzip CSV data file (data/<uuid>.csv.gz: no header, every
// field quoted, keys URL-encoded), and <YYYY-MM-DDTHH-MMZ>/manifest.json
// with manifest.checksum (its MD5), as S3 lays them out. ORC and Parquet
// configurations are stored but not delivered.

// inventoryDelivery remembers when a configuration was last delivered
// (bucket, id).
type inventoryDelivery struct {
	Last time.Time `json:"last"`
}

var inventoryDeliveries = storage.NewTable[inventoryDelivery]("invdone")

// inventoryManifest is manifest.json.
type inventoryManifest struct {
	SourceBucket      string         `json:"sourceBucket"`
	DestinationBucket string         `json:"destinationBucket"`
	Version           string         `json:"version"`
	CreationTimestamp string         `json:"creationTimestamp"`
	FileFormat        string         `json:"fileFormat"`
	FileSchema        string         `json:"fileSchema"`
	Files             []manifestFile `json:"files"`
}

type manifestFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5Checksum string `json:"MD5checksum"`
}

// inventoryDue reports whether c is to be delivered at now.
func inventoryDue(c *s3api.InventoryConfiguration, last time.Time, now time.Time) bool {
	if !ptr.Deref(c.IsEnabled) || c.Destination == nil || c.Destination.S3BucketDestination == nil ||
		ptr.Deref(c.Destination.S3BucketDestination.Format) != "CSV" {
		return false
	}
	if last.IsZero() {
		return true
	}
	period := 24 * time.Hour
	if ptr.Deref(c.Schedule.Frequency) == "Weekly" {
		period = 7 * 24 * time.Hour
	}
	return !now.Before(last.Add(period))
}

// sweepInventories delivers b's due inventory reports.
func (s *S3) sweepInventories(b bucketRecord, now time.Time) error {
	type due struct {
		c    *s3api.InventoryConfiguration
		last time.Time
	}
	var todo []due
	err := s.store.View(func(tx storage.Tx) error {
		return bucketConfigs.List(tx, globalScope(), []string{b.Name, kindInventory}, storage.ListOptions{}, func(_ []string, r bucketConfigRecord) bool {
			if r.Inventory == nil {
				return true
			}
			d, _, _ := inventoryDeliveries.Get(tx, globalScope(), b.Name, ptr.Deref(r.Inventory.Id))
			if inventoryDue(r.Inventory, d.Last, now) {
				todo = append(todo, due{r.Inventory, d.Last})
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, d := range todo {
		if err := s.deliverInventory(b, d.c, now); err != nil {
			s.opts.Log.Warn("s3 inventory", "bucket", b.Name, "id", ptr.Deref(d.c.Id), "error", err)
			continue
		}
		if err := s.store.Update(func(tx storage.Tx) error {
			return inventoryDeliveries.Put(tx, globalScope(), inventoryDelivery{Last: now}, b.Name, ptr.Deref(d.c.Id))
		}); err != nil {
			return err
		}
	}
	return nil
}

// inventoryColumns are the CSV columns of c, as fileSchema names them.
func inventoryColumns(c *s3api.InventoryConfiguration) []string {
	cols := []string{"Bucket", "Key"}
	if ptr.Deref(c.IncludedObjectVersions) == "All" {
		cols = append(cols, "VersionId", "IsLatest", "IsDeleteMarker")
	}
	for _, f := range c.OptionalFields {
		if f == "LastModifiedDate" || f == "Size" || f == "StorageClass" || f == "ETag" || f == "IsMultipartUploaded" ||
			f == "ReplicationStatus" || f == "EncryptionStatus" || f == "ObjectLockRetainUntilDate" || f == "ObjectLockMode" ||
			f == "ObjectLockLegalHoldStatus" || f == "BucketKeyStatus" || f == "ChecksumAlgorithm" || f == "ObjectOwner" {
			cols = append(cols, f)
		}
	}
	return cols
}

// inventoryRow is one CSV row for version o (latest: it is the key's
// current version).
func inventoryRow(bucket string, cols []string, o objectRecord, latest bool) []string {
	row := make([]string, 0, len(cols))
	for _, c := range cols {
		var v string
		switch c {
		case "Bucket":
			v = bucket
		case "Key":
			v = strings.ReplaceAll(url.QueryEscape(o.Key), "%2F", "/")
		case "VersionId":
			if o.VersionID != "null" {
				v = o.VersionID
			}
		case "IsLatest":
			v = strconv.FormatBool(latest)
		case "IsDeleteMarker":
			v = strconv.FormatBool(o.DeleteMarker)
		case "Size":
			if !o.DeleteMarker {
				v = strconv.FormatInt(o.Size, 10)
			}
		case "LastModifiedDate":
			v = o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
		case "StorageClass":
			if !o.DeleteMarker {
				v = storageClassOf(o)
			}
		case "ETag":
			v = strings.Trim(o.ETag, `"`)
		case "IsMultipartUploaded":
			v = strconv.FormatBool(o.PartsCount > 0)
		case "ReplicationStatus":
			v = o.ReplicationStatus
		case "EncryptionStatus":
			v = map[string]string{"AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}[o.SSE]
			if o.SSECAlg != "" {
				v = "SSE-C"
			} else if v == "" {
				v = "NOT-SSE"
			}
		case "ObjectLockRetainUntilDate":
			if o.LockUntil != nil {
				v = o.LockUntil.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		case "ObjectLockMode":
			v = o.LockMode
		case "ObjectLockLegalHoldStatus":
			v = o.LegalHold
			if v == "" {
				v = "OFF"
			}
		case "BucketKeyStatus":
			v = map[bool]string{true: "ENABLED", false: "DISABLED"}[o.BucketKey]
		case "ChecksumAlgorithm":
			for alg := range o.Checksums {
				v = alg
			}
		case "ObjectOwner":
			v = canonicalID(o.Owner)
		}
		row = append(row, v)
	}
	return row
}

// deliverInventory writes one report of c for b.
func (s *S3) deliverInventory(b bucketRecord, c *s3api.InventoryConfiguration, now time.Time) error {
	dst := c.Destination.S3BucketDestination
	destName, _ := strings.CutPrefix(ptr.Deref(dst.Bucket), "arn:aws:s3:::")
	cols := inventoryColumns(c)
	prefix := ""
	if c.Filter != nil {
		prefix = ptr.Deref(c.Filter.Prefix)
	}
	all := ptr.Deref(c.IncludedObjectVersions) == "All"
	var csvBuf bytes.Buffer
	zw := gzip.NewWriter(&csvBuf)
	var rows [][]string
	err := s.store.View(func(tx storage.Tx) error {
		if !all || b.Versioning == "" {
			return objects.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{Partial: prefix}, func(_ []string, o objectRecord) bool {
				rows = append(rows, inventoryRow(b.Name, cols, o, true))
				return true
			})
		}
		key := ""
		return versions.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{Partial: prefix}, func(k []string, v objectRecord) bool {
			latest := k[1] != key
			key = k[1]
			rows = append(rows, inventoryRow(b.Name, cols, v, latest))
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := zw.Write([]byte(csvLine(r))); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	base := strings.TrimSuffix(ptr.Deref(dst.Prefix), "/")
	if base != "" {
		base += "/"
	}
	base += b.Name + "/" + ptr.Deref(c.Id) + "/"
	dataKey := base + "data/" + awsid.UUID() + ".csv.gz"
	sum := md5.Sum(csvBuf.Bytes())
	if err := s.writeServiceObject(destName, dataKey, "application/octet-stream", csvBuf.Bytes(), now); err != nil {
		return err
	}
	m := inventoryManifest{SourceBucket: b.Name, DestinationBucket: ptr.Deref(dst.Bucket), Version: "2016-11-30",
		CreationTimestamp: strconv.FormatInt(now.UnixMilli(), 10), FileFormat: "CSV", FileSchema: strings.Join(cols, ", "),
		Files: []manifestFile{{Key: dataKey, Size: int64(csvBuf.Len()), MD5Checksum: hex.EncodeToString(sum[:])}}}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	stamp := base + now.UTC().Format("2006-01-02T15-04Z") + "/"
	if err := s.writeServiceObject(destName, stamp+"manifest.json", "application/json", body, now); err != nil {
		return err
	}
	msum := md5.Sum(body)
	return s.writeServiceObject(destName, stamp+"manifest.checksum", "text/plain", []byte(hex.EncodeToString(msum[:])), now)
}

// csvLine is a CSV row with every field quoted, as S3 Inventory writes
// them (encoding/csv quotes only where needed).
func csvLine(row []string) string {
	q := make([]string, len(row))
	for i, f := range row {
		q[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return strings.Join(q, ",") + "\n"
}
