package athena

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// tables finds the catalog tables a statement names (views bring the
// tables they name) and fetches their objects.
func (r *run) tables(toks []tok) ([]sqlengine.Table, error) {
	if r.a.opts.Catalog == nil {
		return nil, &failure{msg: "the Glue Data Catalog is not available", category: 1, typ: 204}
	}
	byDB := map[string]map[string]Table{}
	listed := func(db string) (map[string]Table, error) {
		if m, ok := byDB[db]; ok {
			return m, nil
		}
		ts, err := r.a.opts.Catalog.Tables(r.ctx, db)
		m := map[string]Table{}
		if err != nil {
			var e *awserr.Error
			if errors.As(err, &e) && e.Code.Code == "EntityNotFoundException" {
				byDB[db] = m
				return m, nil
			}
			return nil, r.catalogError(err)
		}
		for _, t := range ts {
			m[t.Name] = t
		}
		byDB[db] = m
		return m, nil
	}
	var out []sqlengine.Table
	seen := map[string]bool{}
	type ref struct{ db, name string }
	var queue []ref
	addRefs := func(toks []tok, defDB string) {
		for i, t := range toks {
			if t.kind != tIdent && t.kind != tQuoted {
				continue
			}
			if i > 0 && toks[i-1].val == "." && toks[i-1].kind == tSymbol {
				if i > 1 && (toks[i-2].kind == tIdent || toks[i-2].kind == tQuoted) {
					queue = append(queue, ref{toks[i-2].name(), t.name()})
				}
				continue
			}
			queue = append(queue, ref{defDB, t.name()})
		}
	}
	addRefs(toks, r.rec.Database)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		key := ref.db + "." + ref.name
		if seen[key] {
			continue
		}
		seen[key] = true
		m, err := listed(ref.db)
		if err != nil {
			return nil, err
		}
		t, ok := m[ref.name]
		if !ok {
			continue
		}
		st, err := r.load(t)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
		if st.Format == sqlengine.FormatView {
			vt, err := lex(st.SQL, false)
			if err != nil {
				return nil, userError(1107, fmt.Sprintf("Invalid view %s.%s: %v", t.Database, t.Name, err))
			}
			addRefs(vt, t.Database)
		}
	}
	return out, nil
}

// catalogError words a Glue error as a query failure.
func (r *run) catalogError(err error) error {
	var e *awserr.Error
	if errors.As(err, &e) {
		switch e.Code.Code {
		case "AccessDeniedException", "AccessDenied":
			return userError(1500, e.Message)
		case "EntityNotFoundException":
			return userError(1301, e.Message)
		case "AlreadyExistsException":
			return userError(1003, "FAILED: AlreadyExistsException: "+e.Message)
		}
		return userError(1003, e.Code.Code+": "+e.Message)
	}
	return err
}

// presto view text: Athena keeps a view's SQL and columns in Glue as
// "/* Presto View: <base64 JSON> */".
type prestoView struct {
	OriginalSQL  string              `json:"originalSql"`
	Catalog      string              `json:"catalog"`
	Schema       string              `json:"schema"`
	Columns      []map[string]string `json:"columns"`
	Owner        string              `json:"owner,omitempty"`
	RunAsInvoker bool                `json:"runAsInvoker"`
}

func encodeView(v prestoView) string {
	b, _ := json.Marshal(v) // plain strings and maps: cannot fail
	return "/* Presto View: " + base64.StdEncoding.EncodeToString(b) + " */"
}

func decodeView(s string) (prestoView, bool) {
	var v prestoView
	body, ok := strings.CutPrefix(strings.TrimSpace(s), "/* Presto View: ")
	if !ok {
		return v, false
	}
	body = strings.TrimSpace(strings.TrimSuffix(body, "*/"))
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(raw, &v) != nil {
		return v, false
	}
	return v, true
}

// formatOf maps a table's SerDe and input format to how the engine reads
// it.
func formatOf(t Table) (sqlengine.Format, error) {
	serde := t.SerDe
	in := t.InputFormat
	switch {
	case strings.Contains(serde, "CloudTrailSerde") || strings.Contains(in, "CloudTrailInputFormat"):
		return sqlengine.FormatCloudTrail, nil
	case strings.Contains(serde, "JsonSerDe") || strings.Contains(serde, "JsonSerde"):
		return sqlengine.FormatJSON, nil
	case strings.Contains(serde, "OpenCSVSerde"):
		return sqlengine.FormatOpenCSV, nil
	case strings.Contains(serde, "RegexSerDe"):
		return sqlengine.FormatRegex, nil
	case strings.Contains(serde, "ParquetHiveSerDe") || strings.Contains(in, "Parquet"):
		return sqlengine.FormatParquet, nil
	case strings.Contains(serde, "LazySimpleSerDe") || serde == "" && (in == "" || strings.Contains(in, "TextInputFormat")):
		return sqlengine.FormatDelimited, nil
	}
	return "", userError(1201, fmt.Sprintf("HIVE_UNSUPPORTED_FORMAT: niwa's Athena cannot read SerDe %q (input format %q) of table %s.%s", serde, in, t.Database, t.Name))
}

// load turns a catalog table into the engine's, its objects fetched.
func (r *run) load(t Table) (sqlengine.Table, error) {
	st := sqlengine.Table{Database: t.Database, Name: t.Name}
	if t.TableType == "VIRTUAL_VIEW" {
		v, ok := decodeView(t.ViewOriginalText)
		if !ok {
			return st, userError(1107, fmt.Sprintf("Invalid view %s.%s: its definition is not an Athena view", t.Database, t.Name))
		}
		st.Format, st.SQL = sqlengine.FormatView, v.OriginalSQL
		return st, nil
	}
	f, err := formatOf(t)
	if err != nil {
		return st, err
	}
	st.Format = f
	st.Columns = append(append([]sqlengine.Column{}, t.Columns...), t.PartitionKeys...)
	for _, k := range t.PartitionKeys {
		st.PartitionKeys = append(st.PartitionKeys, k.Name)
	}
	p := t.SerDeParams
	switch f {
	case sqlengine.FormatDelimited:
		st.Delimiter = p["field.delim"]
		if st.Delimiter == "" {
			st.Delimiter = p["serialization.format"]
		}
		if len(st.Delimiter) > 1 && st.Delimiter[0] >= '0' && st.Delimiter[0] <= '9' {
			// serialization.format '1' means \001.
			if n, err := strconv.Atoi(st.Delimiter); err == nil && n < 256 {
				st.Delimiter = string(rune(n))
			}
		} else if st.Delimiter == "1" {
			st.Delimiter = "\x01"
		}
	case sqlengine.FormatOpenCSV:
		st.Delimiter, st.Quote, st.Escape = p["separatorChar"], p["quoteChar"], p["escapeChar"]
		if st.Delimiter == "" {
			st.Delimiter = ","
		}
	case sqlengine.FormatRegex:
		st.Regex = p["input.regex"]
		if st.Regex == "" {
			return st, userError(1103, fmt.Sprintf("HIVE_INVALID_METADATA: table %s.%s: RegexSerDe needs the input.regex SerDe property", t.Database, t.Name))
		}
	}
	if n, err := strconv.Atoi(t.Parameters["skip.header.line.count"]); err == nil {
		st.SkipHeaderLines = n
	}
	type loc struct {
		url  string
		part map[string]string
	}
	var locs []loc
	switch {
	case len(t.PartitionKeys) == 0:
		locs = []loc{{url: t.Location}}
	case strings.EqualFold(t.Parameters["projection.enabled"], "true"):
		files, err := r.projected(t)
		if err != nil {
			return st, err
		}
		st.Files = files
	default:
		parts, err := r.a.opts.Catalog.Partitions(r.ctx, t.Database, t.Name)
		if err != nil {
			return st, r.catalogError(err)
		}
		for _, pt := range parts {
			m := map[string]string{}
			for i, k := range t.PartitionKeys {
				if i < len(pt.Values) {
					m[k.Name] = pt.Values[i]
				}
			}
			locs = append(locs, loc{url: pt.Location, part: m})
		}
	}
	for _, l := range locs {
		files, err := r.objectsUnder(l.url, l.part)
		if err != nil {
			return st, err
		}
		st.Files = append(st.Files, files...)
	}
	return st, nil
}

// listing lists the data objects under a location: every object below
// it, but folders and Hive's hidden files (_SUCCESS, .crc).
func (r *run) listing(url string) (bucket string, objs []objects.Object, err error) {
	if url == "" {
		return "", nil, nil
	}
	bucket, prefix, ok := parseS3(url)
	if !ok {
		return "", nil, userError(1109, fmt.Sprintf("HIVE_METASTORE_ERROR: Invalid location %s", url))
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	list, err := r.a.opts.Objects.List(r.ctx, bucket, prefix)
	switch {
	case err == nil:
	case errors.Is(err, objects.ErrNoSuchBucket):
		return "", nil, userError(1306, fmt.Sprintf("The specified bucket does not exist (Bucket: %s)", bucket))
	case isAccessDenied(err):
		return "", nil, userError(1501, fmt.Sprintf("Permission denied on S3 path: s3://%s/%s", bucket, prefix))
	default:
		return "", nil, err
	}
	for _, o := range list {
		rel := strings.TrimPrefix(o.Key, prefix)
		base := rel[strings.LastIndex(rel, "/")+1:]
		if strings.HasSuffix(o.Key, "/") || strings.HasSuffix(o.Key, "_$folder$") || base == "" ||
			strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
			continue
		}
		objs = append(objs, o)
	}
	return bucket, objs, nil
}

// objectsUnder fetches the objects under url as one partition.
func (r *run) objectsUnder(url string, part map[string]string) ([]sqlengine.File, error) {
	bucket, objs, err := r.listing(url)
	if err != nil {
		return nil, err
	}
	var files []sqlengine.File
	for _, o := range objs {
		path, err := r.fetch(bucket, o.Key, o.Size)
		if err != nil {
			return nil, err
		}
		if path != "" {
			files = append(files, sqlengine.File{Path: path, Partition: part})
		}
	}
	return files, nil
}

// projected finds the partitions of a table with partition projection:
// the objects under the table's location whose keys fit
// storage.location.template (or <location>/<key>=<value>/...), with
// values the projection allows (enum, integer, date, injected).
func (r *run) projected(t Table) ([]sqlengine.File, error) {
	tmpl := t.Parameters["storage.location.template"]
	if tmpl == "" {
		tmpl = strings.TrimSuffix(t.Location, "/")
		for _, k := range t.PartitionKeys {
			tmpl += "/" + k.Name + "=${" + k.Name + "}"
		}
	}
	tmpl = strings.TrimSuffix(tmpl, "/") + "/"
	base := tmpl
	if i := strings.Index(tmpl, "${"); i >= 0 {
		base = tmpl[:i]
		if j := strings.LastIndex(base, "/"); j >= 0 {
			base = base[:j+1]
		}
	}
	bucket, _, _ := parseS3(base)
	var pat strings.Builder
	var names []string
	rest := tmpl
	pat.WriteString("^")
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			pat.WriteString(regexp.QuoteMeta(rest))
			break
		}
		j := strings.Index(rest[i:], "}")
		if j < 0 {
			return nil, userError(1103, "HIVE_INVALID_METADATA: storage.location.template has an unclosed ${")
		}
		pat.WriteString(regexp.QuoteMeta(rest[:i]))
		name := strings.ToLower(rest[i+2 : i+j])
		pat.WriteString("(" + projectionPattern(t.Parameters, name) + ")")
		names = append(names, name)
		rest = rest[i+j+1:]
	}
	re, err := regexp.Compile(pat.String())
	if err != nil {
		return nil, userError(1103, "HIVE_INVALID_METADATA: storage.location.template: "+err.Error())
	}
	_, objs, err := r.listing(base)
	if err != nil {
		return nil, err
	}
	var files []sqlengine.File
	for _, o := range objs {
		m := re.FindStringSubmatch("s3://" + bucket + "/" + o.Key)
		if m == nil {
			continue
		}
		part := map[string]string{}
		ok := true
		for i, n := range names {
			if !projectionAllows(t.Parameters, n, m[i+1]) {
				ok = false
			}
			part[n] = m[i+1]
		}
		if !ok {
			continue
		}
		path, err := r.fetch(bucket, o.Key, o.Size)
		if err != nil {
			return nil, err
		}
		if path != "" {
			files = append(files, sqlengine.File{Path: path, Partition: part})
		}
	}
	return files, nil
}

// projectionPattern is what a projected value looks like in a key: a
// date as its format spells it (yyyy/MM/dd spans folders), an integer's
// digits, anything else one folder name.
func projectionPattern(params map[string]string, col string) string {
	p := func(k string) string { return params["projection."+col+"."+k] }
	switch strings.ToLower(p("type")) {
	case "date":
		f := p("format")
		if f == "" {
			f = "yyyy-MM-dd"
		}
		var b strings.Builder
		for i := 0; i < len(f); {
			switch {
			case strings.HasPrefix(f[i:], "yyyy"):
				b.WriteString(`\d{4}`)
				i += 4
			case strings.HasPrefix(f[i:], "MM"), strings.HasPrefix(f[i:], "dd"), strings.HasPrefix(f[i:], "HH"),
				strings.HasPrefix(f[i:], "mm"), strings.HasPrefix(f[i:], "ss"), strings.HasPrefix(f[i:], "yy"):
				b.WriteString(`\d{2}`)
				i += 2
			default:
				b.WriteString(regexp.QuoteMeta(f[i : i+1]))
				i++
			}
		}
		return b.String()
	case "integer":
		return `-?\d+`
	}
	return `[^/]+`
}

// projectionAllows checks a value against projection.<col>.*.
func projectionAllows(params map[string]string, col, v string) bool {
	p := func(k string) string { return params["projection."+col+"."+k] }
	switch strings.ToLower(p("type")) {
	case "enum":
		for _, x := range strings.Split(p("values"), ",") {
			if strings.TrimSpace(x) == v {
				return true
			}
		}
		return false
	case "integer":
		lo, hi, ok := strings.Cut(p("range"), ",")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return false
		}
		l, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
		h, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 64)
		return err1 == nil && err2 == nil && n >= l && n <= h
	case "date":
		layout := javaLayout(p("format"))
		tv, err := time.Parse(layout, v)
		if err != nil {
			return false
		}
		lo, hi, ok := strings.Cut(p("range"), ",")
		if !ok {
			return true
		}
		bound := func(s string) (time.Time, bool) {
			s = strings.TrimSpace(s)
			if strings.HasPrefix(strings.ToUpper(s), "NOW") {
				return time.Time{}, false // open-ended: NOW moves
			}
			b, err := time.Parse(layout, s)
			return b, err == nil
		}
		if l, ok := bound(lo); ok && tv.Before(l) {
			return false
		}
		if h, ok := bound(hi); ok && tv.After(h) {
			return false
		}
		return true
	}
	return true // injected, or a type niwa does not check
}

// javaLayout converts a Java date pattern (yyyy/MM/dd) to Go's layout.
func javaLayout(f string) string {
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05", "yy", "06")
	if f == "" {
		return "2006-01-02"
	}
	return r.Replace(f)
}
