// Package images is niwa's catalog of public AMIs: the images AWS
// publishes (Amazon Linux 2023/2/1, Windows Server 2012 R2 to 2022,
// Ubuntu, Debian, RHEL) with their real names, owners and owner aliases,
// as embedded data. Every region has the same images under its own ids,
// derived from the region and the name, so an id is stable across runs
// and differs between regions as on AWS.
package images

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
)

//go:embed catalog.json
var catalogJSON []byte

// Image is one public AMI.
type Image struct {
	ID              string
	Name            string `json:"name"`
	Description     string `json:"description"`
	Owner           string `json:"owner"`
	Alias           string `json:"alias"`
	Architecture    string `json:"arch"`
	RootDevice      string `json:"root"`
	Created         string `json:"created"`
	ENA             bool   `json:"ena"`
	Platform        string `json:"platform"`
	PlatformDetails string `json:"platform_details"`
	BootMode        string `json:"boot"`
	// SnapshotID is the root volume's snapshot, derived like ID.
	SnapshotID string
}

// Catalog returns the public images of a region. It decodes the embedded
// data on each call; callers that list often may keep the result.
func Catalog(region string) []Image {
	var list []Image
	if err := json.Unmarshal(catalogJSON, &list); err != nil {
		// The catalog is compiled in and checked by a test.
		panic(fmt.Sprintf("images: bad embedded catalog: %v", err))
	}
	for i := range list {
		list[i].ID = "ami-" + hexID(region+"/"+list[i].Name)
		list[i].SnapshotID = "snap-" + hexID("snap/"+region+"/"+list[i].Name)
		if list[i].PlatformDetails == "" {
			list[i].PlatformDetails = "Linux/UNIX"
			if list[i].Platform == "windows" {
				list[i].PlatformDetails = "Windows"
			}
		}
	}
	return list
}

func hexID(s string) string {
	h := fnv.New128a()
	h.Write([]byte(s))
	return fmt.Sprintf("%x", h.Sum(nil))[:17]
}
