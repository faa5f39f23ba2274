package query_test

import (
	"encoding/base64"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
)

// clientSerialize is a test-only port of botocore's QuerySerializer and
// EC2Serializer (botocore/serialize.py): the form body a client sends for
// op with input in.
func clientSerialize(ec2 bool, svc *model.Service, op *model.Operation, in map[string]any) string {
	form := url.Values{"Action": {op.Name}, "Version": {svc.Metadata.APIVersion}}
	if op.Input != nil {
		s := serializer{ec2: ec2, out: form}
		s.value(op.Input, in, "")
	}
	return form.Encode()
}

type serializer struct {
	ec2 bool
	out url.Values
}

// name is botocore's _get_serialized_name.
func (s serializer) name(r *model.Ref, def string) string {
	loc := r.LocationName
	if loc == "" && r.Shape != nil {
		loc = r.Shape.LocationName
	}
	if s.ec2 {
		if r.QueryName != "" {
			return r.QueryName
		}
		if loc != "" {
			return strings.ToUpper(loc[:1]) + loc[1:]
		}
		return def
	}
	if loc != "" {
		return loc
	}
	return def
}

func (s serializer) value(ref *model.Ref, v any, prefix string) {
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		for k, mv := range v.(map[string]any) {
			m, _ := sh.MemberByName(k)
			p := s.name(m, k)
			if prefix != "" {
				p = prefix + "." + p
			}
			s.value(m, mv, p)
		}
	case model.List:
		l := v.([]any)
		if s.ec2 {
			for i, e := range l {
				s.value(sh.Member, e, prefix+"."+strconv.Itoa(i+1))
			}
			return
		}
		if len(l) == 0 {
			s.out.Set(prefix, "")
			return
		}
		var lp string
		if ref.IsFlattened() {
			lp = prefix
			if n := s.name(sh.Member, ""); n != "" {
				parts := strings.Split(prefix, ".")
				parts[len(parts)-1] = n
				lp = strings.Join(parts, ".")
			}
		} else {
			lp = prefix + "." + s.name(sh.Member, "member")
		}
		for i, e := range l {
			s.value(sh.Member, e, lp+"."+strconv.Itoa(i+1))
		}
	case model.Map:
		full := prefix + ".entry"
		if ref.IsFlattened() {
			full = prefix
		}
		ks, vs := s.name(sh.Key, "key"), s.name(sh.Value, "value")
		i := 0
		for k, mv := range v.(map[string]any) {
			i++
			s.value(sh.Key, k, full+"."+strconv.Itoa(i)+"."+ks)
			s.value(sh.Value, mv, full+"."+strconv.Itoa(i)+"."+vs)
		}
	case model.Blob:
		s.out.Set(prefix, base64.StdEncoding.EncodeToString(v.([]byte)))
	case model.Timestamp:
		t := v.(time.Time).UTC()
		switch ref.TimestampFormatOr(model.ISO8601) {
		case model.UnixTimestamp:
			s.out.Set(prefix, strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
		case model.RFC822:
			s.out.Set(prefix, t.Format(time.RFC1123))
		default:
			s.out.Set(prefix, t.Format(time.RFC3339Nano))
		}
	case model.Boolean:
		s.out.Set(prefix, strconv.FormatBool(v.(bool)))
	case model.Float, model.Double:
		f := v.(float64)
		switch {
		case math.IsNaN(f):
			s.out.Set(prefix, "NaN")
		case math.IsInf(f, 1):
			s.out.Set(prefix, "Infinity")
		case math.IsInf(f, -1):
			s.out.Set(prefix, "-Infinity")
		default:
			s.out.Set(prefix, strconv.FormatFloat(f, 'g', -1, 64))
		}
	case model.Integer, model.Long:
		s.out.Set(prefix, strconv.FormatInt(v.(int64), 10))
	default:
		s.out.Set(prefix, v.(string))
	}
}
