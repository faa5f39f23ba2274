package ec2

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

// EC2's error codes. The EC2 model declares none, so they are listed here
// from the "Error codes for the Amazon EC2 API" reference; every client
// error is HTTP 400 except DryRunOperation (412).
func code(c string) awserr.Code { return awserr.Code{Code: c, Status: 400, Sender: true} }

var (
	errDryRun                 = awserr.Code{Code: "DryRunOperation", Status: 412, Sender: true}
	errInstanceNotFound       = code("InvalidInstanceID.NotFound")
	errInstanceMalformed      = code("InvalidInstanceID.Malformed")
	errIncorrectInstanceState = code("IncorrectInstanceState")
	errOperationNotPermitted  = code("OperationNotPermitted")
	errInvalidParameter       = code("InvalidParameter")
	errInvalidParameterValue  = awserr.InvalidParameterValue
	errInvalidParameterCombo  = awserr.InvalidParameterCombination
	errMissingParameter       = awserr.MissingParameter
	errAMINotFound            = code("InvalidAMIID.NotFound")
	errAMIMalformed           = code("InvalidAMIID.Malformed")
	errVpcNotFound            = code("InvalidVpcID.NotFound")
	errVpcRange               = code("InvalidVpc.Range")
	errSubnetNotFound         = code("InvalidSubnetID.NotFound")
	errSubnetRange            = code("InvalidSubnet.Range")
	errSubnetConflict         = code("InvalidSubnet.Conflict")
	errRouteTableNotFound     = code("InvalidRouteTableID.NotFound")
	errRouteNotFound          = code("InvalidRoute.NotFound")
	errRouteExists            = code("RouteAlreadyExists")
	errAssociationNotFound    = code("InvalidAssociationID.NotFound")
	errIGWNotFound            = code("InvalidInternetGatewayID.NotFound")
	errAlreadyAssociated      = code("Resource.AlreadyAssociated")
	errGatewayNotAttached     = code("Gateway.NotAttached")
	errDependencyViolation    = code("DependencyViolation")
	errNatNotFound            = code("NatGatewayNotFound")
	errAllocationNotFound     = code("InvalidAllocationID.NotFound")
	errAddressNotFound        = code("InvalidAddress.NotFound")
	errGroupNotFound          = code("InvalidGroup.NotFound")
	errGroupIDMalformed       = code("InvalidGroupId.Malformed")
	errGroupDuplicate         = code("InvalidGroup.Duplicate")
	errGroupReserved          = code("InvalidGroup.Reserved")
	errCannotDelete           = code("CannotDelete")
	errPermissionDuplicate    = code("InvalidPermission.Duplicate")
	errPermissionNotFound     = code("InvalidPermission.NotFound")
	errENINotFound            = code("InvalidNetworkInterfaceID.NotFound")
	errDhcpNotFound           = code("InvalidDhcpOptionID.NotFound")
	errACLNotFound            = code("InvalidNetworkAclID.NotFound")
	errACLEntryExists         = code("NetworkAclEntryAlreadyExists")
	errACLEntryNotFound       = code("InvalidNetworkAclEntry.NotFound")
	errEndpointNotFound       = code("InvalidVpcEndpointId.NotFound")
	errServiceNotFound        = code("InvalidServiceName")
	errPeeringNotFound        = code("InvalidVpcPeeringConnectionID.NotFound")
	errCGWNotFound            = code("InvalidCustomerGatewayID.NotFound")
	errVGWNotFound            = code("InvalidVpnGatewayID.NotFound")
	errVPNNotFound            = code("InvalidVpnConnectionID.NotFound")
	errVolumeNotFound         = code("InvalidVolume.NotFound")
	errVolumeInUse            = code("VolumeInUse")
	errIncorrectState         = code("IncorrectState")
	errSnapshotNotFound       = code("InvalidSnapshot.NotFound")
	errKeyPairNotFound        = code("InvalidKeyPair.NotFound")
	errKeyPairDuplicate       = code("InvalidKeyPair.Duplicate")
	errInvalidInstanceType    = code("InvalidInstanceType")
	errInvalidAZ              = code("InvalidAvailabilityZone")
	errAMINameDuplicate       = code("InvalidAMIName.Duplicate")
	errInvalidCIDRAssociation = code("InvalidVpcCidrBlockAssociationID.NotFound")
	errCIDRConflict           = code("InvalidVpc.Range")
	errInvalidNextToken       = code("InvalidNextToken")
	errAddressLimitExceeded   = code("AddressLimitExceeded")
	errInvalidIPAddressInUse  = code("InvalidIPAddress.InUse")
	errInvalidID              = code("InvalidID")
)

// notFound is the message EC2 gives for missing ids of one kind
// ("The vpc ID 'vpc-1' does not exist", "The vpc IDs 'vpc-1, vpc-2' do not
// exist").
func notFound(c awserr.Code, noun string, ids ...string) error {
	if len(ids) == 1 {
		return c.New("The %s ID '%s' does not exist", noun, ids[0])
	}
	return c.New("The %s IDs '%s' do not exist", noun, strings.Join(ids, ", "))
}

func dryRun(v *bool) error {
	if v != nil && *v {
		return errDryRun.New("Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}
