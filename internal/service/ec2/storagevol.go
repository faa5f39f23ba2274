package ec2

import (
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var (
	volumes = resource[ec2api.Volume]{table: storage.NewTable[ec2api.Volume]("volume"), prefix: "vol", typ: "volume", noun: "volume", notFound: errVolumeNotFound,
		tags: func(v *ec2api.Volume) *[]ec2api.Tag { return &v.Tags }, doc: volumeDoc}
	snapshots = resource[ec2api.Snapshot]{table: storage.NewTable[ec2api.Snapshot]("snapshot"), prefix: "snap", typ: "snapshot", noun: "snapshot", notFound: errSnapshotNotFound,
		tags: func(v *ec2api.Snapshot) *[]ec2api.Tag { return &v.Tags }, doc: snapshotDoc}
	keyPairs = storage.NewTable[keyPairRecord]("keypair")
)

type keyPairRecord struct {
	Info ec2api.KeyPairInfo
}

func volumeDoc(v *ec2api.Volume) filter.Doc {
	d := filter.New(v.Tags).Add("volume-id", ptr.Deref(v.VolumeId)).Add("availability-zone", ptr.Deref(v.AvailabilityZone)).Add("status", ptr.Deref(v.State)).
		Add("size", fmt.Sprint(ptr.Deref(v.Size))).Add("snapshot-id", ptr.Deref(v.SnapshotId)).Add("volume-type", ptr.Deref(v.VolumeType)).Add("encrypted", boolStr(ptr.Deref(v.Encrypted))).
		Add("multi-attach-enabled", boolStr(ptr.Deref(v.MultiAttachEnabled))).Add("create-time").
		Add("attachment.instance-id").Add("attachment.device").Add("attachment.status").Add("attachment.attach-time").Add("attachment.delete-on-termination")
	for _, a := range v.Attachments {
		d.Add("attachment.instance-id", ptr.Deref(a.InstanceId)).Add("attachment.device", ptr.Deref(a.Device)).Add("attachment.status", ptr.Deref(a.State)).
			Add("attachment.delete-on-termination", boolStr(ptr.Deref(a.DeleteOnTermination)))
	}
	return d
}

func snapshotDoc(v *ec2api.Snapshot) filter.Doc {
	return filter.New(v.Tags).Add("snapshot-id", ptr.Deref(v.SnapshotId)).Add("volume-id", ptr.Deref(v.VolumeId)).Add("status", ptr.Deref(v.State)).Add("owner-id", ptr.Deref(v.OwnerId)).
		Add("owner-alias", ptr.Deref(v.OwnerAlias)).Add("description", ptr.Deref(v.Description)).Add("progress", ptr.Deref(v.Progress)).Add("volume-size", fmt.Sprint(ptr.Deref(v.VolumeSize))).
		Add("encrypted", boolStr(ptr.Deref(v.Encrypted))).Add("start-time").Add("storage-tier", ptr.Deref(v.StorageTier))
}

// CreateVolume creates an available EBS volume.
func (s *EC2) CreateVolume(ctx *request.Context, in *ec2api.CreateVolumeRequest) (*ec2api.Volume, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	az := ptr.Deref(in.AvailabilityZone)
	if z, ok := zoneByName(ctx.Region, az); !ok || z.Name != az {
		return nil, errInvalidAZ.New("The zone '%s' does not exist.", az)
	}
	typ := "gp2"
	if in.VolumeType != nil {
		typ = *in.VolumeType
	}
	sc := scope(ctx)
	id := newID("vol")
	var v ec2api.Volume
	err := s.store.Update(func(tx storage.Tx) error {
		size := ptr.Deref(in.Size)
		if in.SnapshotId != nil {
			sn, err := snapshots.get(tx, sc, *in.SnapshotId)
			if err != nil {
				return err
			}
			if size == 0 {
				size = ptr.Deref(sn.VolumeSize)
			}
		}
		if size < 1 || size > 16384 {
			return errInvalidParameterValue.New("The parameter 'size' must be between 1 and 16384 for %s volumes.", typ)
		}
		iops := in.Iops
		if iops == nil && (typ == "gp2" || typ == "gp3") {
			n := size * 3
			if n < 100 {
				n = 100
			}
			if typ == "gp3" {
				n = 3000
			}
			iops = ptr.To(n)
		}
		// With EBS encryption by default on, every new volume is
		// encrypted, with the account's default key unless one is named.
		encrypted, keyID := ptr.Deref(in.Encrypted), in.KmsKeyId
		d, _, err := ebsDefaults.Get(tx, sc, "")
		if err != nil {
			return err
		}
		if d.Encrypt {
			encrypted = true
			if keyID == nil && d.KeyID != "" {
				keyID = ptr.To(d.KeyID)
			}
		}
		v = ec2api.Volume{VolumeId: ptr.To(id), Size: ptr.To(size), AvailabilityZone: ptr.To(az), State: ptr.To("available"), CreateTime: ptr.To(ctx.Now().UTC()), VolumeType: ptr.To(typ),
			Iops: iops, Encrypted: ptr.To(encrypted), KmsKeyId: keyID, SnapshotId: ptr.To(ptr.Deref(in.SnapshotId)), MultiAttachEnabled: ptr.To(ptr.Deref(in.MultiAttachEnabled)),
			Throughput: in.Throughput, Tags: nonNilTags(tagsFor(in.TagSpecifications, "volume")), Attachments: []ec2api.VolumeAttachment{}}
		return volumes.put(tx, sc, id, v)
	})
	if err != nil {
		return nil, err
	}
	out := v
	out.State = ptr.To("creating")
	return &out, nil
}

// AttachVolume attaches an available volume to an instance in its zone.
func (s *EC2) AttachVolume(ctx *request.Context, in *ec2api.AttachVolumeRequest) (*ec2api.VolumeAttachment, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	var att ec2api.VolumeAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := volumes.get(tx, sc, ptr.Deref(in.VolumeId))
		if err != nil {
			return err
		}
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if ptr.Deref(v.State) != "available" {
			return errVolumeInUse.New("%s is already attached to an instance", ptr.Deref(in.VolumeId))
		}
		if ptr.Deref(v.AvailabilityZone) != r.AZ {
			return errInvalidParameterValue.New("Volume %s is in zone %s but instance %s is in zone %s", ptr.Deref(in.VolumeId), ptr.Deref(v.AvailabilityZone), r.ID, r.AZ)
		}
		if r.State == "terminated" || r.State == "shutting-down" {
			return errIncorrectInstanceState.New("Instance '%s' is not 'running'.", r.ID)
		}
		for _, x := range r.Volumes {
			if x.Device == ptr.Deref(in.Device) {
				return errInvalidParameterValue.New("Attachment point %s is already in use", ptr.Deref(in.Device))
			}
		}
		att = ec2api.VolumeAttachment{VolumeId: in.VolumeId, InstanceId: in.InstanceId, Device: in.Device, State: ptr.To("attached"), AttachTime: ptr.To(now), DeleteOnTermination: ptr.To(false)}
		v.Attachments, v.State = []ec2api.VolumeAttachment{att}, ptr.To("in-use")
		r.Volumes = append(r.Volumes, attachedVolume{Device: ptr.Deref(in.Device), VolumeID: ptr.Deref(in.VolumeId), AttachTime: now})
		if err := instances.put(tx, sc, r.ID, r); err != nil {
			return err
		}
		return volumes.put(tx, sc, ptr.Deref(in.VolumeId), v)
	})
	if err != nil {
		return nil, err
	}
	att.State = ptr.To("attaching")
	return &att, nil
}

// DetachVolume detaches a volume; the root volume of a running instance
// cannot go.
func (s *EC2) DetachVolume(ctx *request.Context, in *ec2api.DetachVolumeRequest) (*ec2api.VolumeAttachment, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var att ec2api.VolumeAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := volumes.get(tx, sc, ptr.Deref(in.VolumeId))
		if err != nil {
			return err
		}
		if len(v.Attachments) == 0 {
			return errIncorrectState.New("Volume '%s' is in the 'available' state.", ptr.Deref(in.VolumeId))
		}
		att = v.Attachments[0]
		if r, ok, _ := instances.table.Get(tx, sc, ptr.Deref(att.InstanceId)); ok {
			if r.RootVolume == ptr.Deref(in.VolumeId) && r.State != "stopped" {
				return errIncorrectState.New("Unable to detach root volume '%s' from instance '%s'", ptr.Deref(in.VolumeId), r.ID)
			}
			kept := r.Volumes[:0]
			for _, x := range r.Volumes {
				if x.VolumeID != ptr.Deref(in.VolumeId) {
					kept = append(kept, x)
				}
			}
			r.Volumes = kept
			if err := instances.put(tx, sc, r.ID, r); err != nil {
				return err
			}
		}
		v.Attachments, v.State = []ec2api.VolumeAttachment{}, ptr.To("available")
		return volumes.put(tx, sc, ptr.Deref(in.VolumeId), v)
	})
	if err != nil {
		return nil, err
	}
	att.State = ptr.To("detaching")
	return &att, nil
}

// DeleteVolume deletes an available volume.
func (s *EC2) DeleteVolume(ctx *request.Context, in *ec2api.DeleteVolumeRequest) (*ec2api.DeleteVolumeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := volumes.get(tx, sc, ptr.Deref(in.VolumeId))
		if err != nil {
			return err
		}
		if ptr.Deref(v.State) != "available" {
			return errVolumeInUse.New("Volume %s is currently attached to %s", ptr.Deref(in.VolumeId), ptr.Deref(v.Attachments[0].InstanceId))
		}
		return volumes.table.Delete(tx, sc, ptr.Deref(in.VolumeId))
	})
	return answer(&ec2api.DeleteVolumeOutput{}, err)
}

// DescribeVolumes lists volumes.
func (s *EC2) DescribeVolumes(ctx *request.Context, in *ec2api.DescribeVolumesRequest) (*ec2api.DescribeVolumesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, volumes, page{ids: in.VolumeIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeVolumesResult{Volumes: orEmpty(recs), NextToken: next}, err)
}

// CreateSnapshot snapshots a volume (completed at once).
func (s *EC2) CreateSnapshot(ctx *request.Context, in *ec2api.CreateSnapshotRequest) (*ec2api.Snapshot, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("snap")
	var sn ec2api.Snapshot
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := volumes.get(tx, sc, ptr.Deref(in.VolumeId))
		if err != nil {
			return err
		}
		sn = ec2api.Snapshot{SnapshotId: ptr.To(id), VolumeId: in.VolumeId, VolumeSize: v.Size, State: ptr.To("completed"), Progress: ptr.To("100%"), StartTime: ptr.To(ctx.Now().UTC()),
			OwnerId: ptr.To(ctx.Account), Encrypted: v.Encrypted, Description: ptr.To(ptr.Deref(in.Description)), StorageTier: ptr.To("standard"), Tags: nonNilTags(tagsFor(in.TagSpecifications, "snapshot"))}
		return snapshots.put(tx, sc, id, sn)
	})
	if err != nil {
		return nil, err
	}
	out := sn
	out.State, out.Progress = ptr.To("pending"), ptr.To("")
	return &out, nil
}

// DeleteSnapshot deletes a snapshot no AMI uses.
func (s *EC2) DeleteSnapshot(ctx *request.Context, in *ec2api.DeleteSnapshotRequest) (*ec2api.DeleteSnapshotOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.SnapshotId)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := snapshots.get(tx, sc, id); err != nil {
			return err
		}
		if err := snapshotLocked(tx, sc, id, ctx.Now()); err != nil {
			return err
		}
		all, err := userImages.all(tx, sc)
		if err != nil {
			return err
		}
		for _, im := range all {
			for _, b := range im.BlockDeviceMappings {
				if b.Ebs != nil && ptr.Deref(b.Ebs.SnapshotId) == id {
					return errInvalidParameterValue.New("The snapshot %s is currently in use by %s", id, ptr.Deref(im.ImageId))
				}
			}
		}
		return snapshots.table.Delete(tx, sc, id)
	})
	return answer(&ec2api.DeleteSnapshotOutput{}, err)
}

// DescribeSnapshots lists the account's snapshots.
func (s *EC2) DescribeSnapshots(ctx *request.Context, in *ec2api.DescribeSnapshotsRequest) (*ec2api.DescribeSnapshotsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	keep := func(sn *ec2api.Snapshot) bool {
		if len(in.OwnerIds) == 0 {
			return true
		}
		return contains(in.OwnerIds, ptr.Deref(sn.OwnerId)) || contains(in.OwnerIds, "self")
	}
	recs, next, err := describe(s, ctx, snapshots, page{ids: in.SnapshotIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, keep)
	return answer(&ec2api.DescribeSnapshotsResult{Snapshots: orEmpty(recs), NextToken: next}, err)
}

// CreateKeyPair generates a key pair and returns its private key once.
func (s *EC2) CreateKeyPair(ctx *request.Context, in *ec2api.CreateKeyPairRequest) (*ec2api.KeyPair, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.KeyName)
	typ := "rsa"
	if in.KeyType != nil {
		typ = *in.KeyType
	}
	var material, fingerprint, pub string
	switch typ {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		der := x509.MarshalPKCS1PrivateKey(k)
		material = strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})))
		// EC2 fingerprints keys it creates with SHA-1 of the PKCS#8 DER.
		p8, _ := x509.MarshalPKCS8PrivateKey(k)
		sum := sha1.Sum(p8)
		fingerprint = colonHex(sum[:])
		pub = authorizedKey(&k.PublicKey)
	case "ed25519":
		pk, sk, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		material = ed25519PrivatePEM(pk, sk)
		_, blob := sshPublicBlob(pk)
		sum := sha256.Sum256(blob)
		fingerprint = base64.StdEncoding.EncodeToString(sum[:])
		pub = authorizedKey(pk)
	default:
		return nil, errInvalidParameterValue.New("Invalid value '%s' for keyType.", typ)
	}
	return s.storeKeyPair(ctx, name, typ, fingerprint, pub, material, in.TagSpecifications)
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

func (s *EC2) storeKeyPair(ctx *request.Context, name, typ, fingerprint, pub, material string, specs []ec2api.TagSpecification) (*ec2api.KeyPair, error) {
	if name == "" || len(name) > 255 {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for keyName.", name)
	}
	sc := scope(ctx)
	id := newID("key")
	tags := nonNilTags(tagsFor(specs, "key-pair"))
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := keyPairs.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return errKeyPairDuplicate.New("The keypair '%s' already exists.", name)
		}
		return keyPairs.Put(tx, sc, keyPairRecord{Info: ec2api.KeyPairInfo{KeyPairId: ptr.To(id), KeyFingerprint: ptr.To(fingerprint), KeyName: ptr.To(name), KeyType: ptr.To(typ),
			Tags: tags, PublicKey: ptr.To(pub), CreateTime: ptr.To(ctx.Now().UTC().Truncate(time.Millisecond))}}, name)
	})
	return answer(&ec2api.KeyPair{KeyName: ptr.To(name), KeyFingerprint: ptr.To(fingerprint), KeyMaterial: ptr.To(material), KeyPairId: ptr.To(id), Tags: tags}, err)
}

// ImportKeyPair imports an OpenSSH public key.
func (s *EC2) ImportKeyPair(ctx *request.Context, in *ec2api.ImportKeyPairRequest) (*ec2api.ImportKeyPairResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	pk, err := parsePublicKeyMaterial(in.PublicKeyMaterial)
	if err != nil {
		return nil, code("InvalidKey.Format").New("Key is not in valid OpenSSH public key format")
	}
	typ := "rsa"
	var fingerprint string
	if _, ok := pk.(ed25519.PublicKey); ok {
		// ED25519: base64 SHA-256 of the key's wire blob, as OpenSSH 6.8+.
		typ = "ed25519"
		_, blob := sshPublicBlob(pk)
		sum := sha256.Sum256(blob)
		fingerprint = base64.StdEncoding.EncodeToString(sum[:])
	} else {
		// Imported RSA keys: MD5 of the public key in DER form.
		der, err := x509.MarshalPKIXPublicKey(pk)
		if err != nil {
			return nil, code("InvalidKey.Format").New("Key is not in valid OpenSSH public key format")
		}
		sum := md5.Sum(der)
		fingerprint = colonHex(sum[:])
	}
	kp, err := s.storeKeyPair(ctx, ptr.Deref(in.KeyName), typ, fingerprint, authorizedKey(pk), "", in.TagSpecifications)
	if err != nil {
		return nil, err
	}
	return &ec2api.ImportKeyPairResult{KeyName: kp.KeyName, KeyFingerprint: kp.KeyFingerprint, KeyPairId: kp.KeyPairId, Tags: kp.Tags}, nil
}

// DeleteKeyPair deletes a key pair; a missing one is not an error, as on
// EC2.
func (s *EC2) DeleteKeyPair(ctx *request.Context, in *ec2api.DeleteKeyPairRequest) (*ec2api.DeleteKeyPairResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var id *string
	err := s.store.Update(func(tx storage.Tx) error {
		name := ptr.Deref(in.KeyName)
		if name == "" && in.KeyPairId != nil {
			err := keyPairs.List(tx, sc, nil, storage.ListOptions{}, func(k []string, v keyPairRecord) bool {
				if ptr.Deref(v.Info.KeyPairId) == *in.KeyPairId {
					name = k[0]
					return false
				}
				return true
			})
			if err != nil {
				return err
			}
			if name == "" {
				return errKeyPairNotFound.New("The key pair '%s' does not exist", *in.KeyPairId)
			}
		}
		if k, ok, err := keyPairs.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			id = k.Info.KeyPairId
		}
		return keyPairs.Delete(tx, sc, name)
	})
	return answer(&ec2api.DeleteKeyPairResult{Return: ptr.To(true), KeyPairId: id}, err)
}

// DescribeKeyPairs lists key pairs.
func (s *EC2) DescribeKeyPairs(ctx *request.Context, in *ec2api.DescribeKeyPairsRequest) (*ec2api.DescribeKeyPairsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(k *ec2api.KeyPairInfo) filter.Doc {
		return filter.New(k.Tags).Add("key-name", ptr.Deref(k.KeyName)).Add("fingerprint", ptr.Deref(k.KeyFingerprint)).Add("key-pair-id", ptr.Deref(k.KeyPairId)).Add("key-type", ptr.Deref(k.KeyType))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.KeyPairInfo{})); err != nil {
		return nil, err
	}
	out := &ec2api.DescribeKeyPairsResult{KeyPairs: []ec2api.KeyPairInfo{}}
	err := s.store.View(func(tx storage.Tx) error {
		for _, n := range in.KeyNames {
			if _, ok, err := keyPairs.Get(tx, scope(ctx), n); err != nil {
				return err
			} else if !ok {
				return errKeyPairNotFound.New("The key pair '%s' does not exist", n)
			}
		}
		return keyPairs.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, v keyPairRecord) bool {
			k := v.Info
			if len(in.KeyNames) > 0 && !contains(in.KeyNames, ptr.Deref(k.KeyName)) {
				return true
			}
			if len(in.KeyPairIds) > 0 && !contains(in.KeyPairIds, ptr.Deref(k.KeyPairId)) {
				return true
			}
			if !ptr.Deref(in.IncludePublicKey) {
				k.PublicKey = nil
			}
			if filter.Match(in.Filters, doc(&k)) {
				out.KeyPairs = append(out.KeyPairs, k)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
