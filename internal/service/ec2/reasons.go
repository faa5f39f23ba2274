package ec2

import "github.com/niwa-cloud/niwa/internal/kit"

// notImplemented are the EC2 operations niwa leaves out, each with why:
// each needs an AWS party niwa does not have (hardware, billing,
// Organizations, Cloud WAN, an external network or registry) or belongs to
// a feature AWS retired. docs/services.md shows them.
func notImplemented() kit.Reasons {
	return kit.Reasons{}.
		Add("it builds a CloudFormation template that queries S3 flow log records with Athena; niwa delivers no flow log records to query",
			"GetFlowLogsIntegrationTemplate").
		Add("reverse DNS (PTR) records for Elastic IPs need AWS's delegation of its public address space; niwa's public addresses are simulated",
			"ModifyAddressAttribute", "ResetAddressAttribute").
		Add("host placement (affinity, Dedicated Host, tenancy changes) belongs to the physical host; niwa's simulated instances run on no host",
			"ModifyInstancePlacement").
		Add("Capacity Reservation Fleets reserve physical capacity across instance types; niwa's simulated capacity is unlimited, so a reservation would hold nothing",
			"CreateCapacityReservationFleet", "CancelCapacityReservationFleets", "DescribeCapacityReservationFleets", "ModifyCapacityReservationFleet").
		Add("Elastic IP transfers move an address to another AWS account through AWS; niwa's addresses are simulated and never leave the account",
			"AcceptAddressTransfer", "DescribeAddressTransfers", "DisableAddressTransfer", "EnableAddressTransfer").
		Add("Reserved Instances and their marketplace are billing: a purchase, listing or exchange changes what AWS charges, and niwa charges nothing",
			"AcceptReservedInstancesExchangeQuote", "CancelReservedInstancesListing", "CreateReservedInstancesListing", "DeleteQueuedReservedInstances", "DescribeReservedInstances", "DescribeReservedInstancesListings", "DescribeReservedInstancesModifications", "DescribeReservedInstancesOfferings", "GetReservedInstancesExchangeQuote", "ModifyReservedInstances", "PurchaseReservedInstancesOffering").
		Add("transit gateway policy tables and route table announcements exchange routes with an AWS Cloud WAN core network (AWS Network Manager), which niwa does not run",
			"AssociateTransitGatewayPolicyTable", "CreateTransitGatewayPolicyTable", "CreateTransitGatewayRouteTableAnnouncement", "DeleteTransitGatewayPolicyTable", "DeleteTransitGatewayRouteTableAnnouncement", "DescribeTransitGatewayPolicyTables", "DescribeTransitGatewayRouteTableAnnouncements", "DisassociateTransitGatewayPolicyTable", "GetTransitGatewayPolicyTableAssociations", "GetTransitGatewayPolicyTableEntries").
		Add("verifying an endpoint service's private DNS name looks up a TXT record in the domain's public DNS, which a local cloud cannot query (the name stays pendingVerification)",
			"StartVpcEndpointServicePrivateDnsVerification").
		Add("bringing your own addresses needs a Regional Internet Registry's authorization (ROA) and AWS advertising the range over BGP",
			"AdvertiseByoipCidr", "CreatePublicIpv4Pool", "DeletePublicIpv4Pool", "DeprovisionByoipCidr", "DeprovisionPublicIpv4PoolCidr", "DescribeByoipCidrs", "DescribeIpv6Pools", "DescribePublicIpv4Pools", "GetAssociatedIpv6PoolCidrs", "ProvisionByoipCidr", "ProvisionPublicIpv4PoolCidr", "WithdrawByoipCidr").
		Add("Dedicated Hosts and Mac hosts are physical servers allocated to the account (and their reservations billing); niwa's simulated instances run on no host",
			"AllocateHosts", "DescribeHostReservationOfferings", "DescribeHostReservations", "DescribeHosts", "DescribeMacHosts", "GetHostReservationPurchasePreview", "ModifyHosts", "PurchaseHostReservation", "ReleaseHosts").
		Add("IPAM manages address space across an AWS Organization's accounts and discovers their resources through AWS; niwa runs no Organizations and allocates VPC addresses itself",
			"AllocateIpamPoolCidr", "AssociateIpamByoasn", "AssociateIpamResourceDiscovery", "CreateIpam", "CreateIpamExternalResourceVerificationToken", "CreateIpamPool", "CreateIpamResourceDiscovery", "CreateIpamScope", "DeleteIpam", "DeleteIpamExternalResourceVerificationToken", "DeleteIpamPool", "DeleteIpamResourceDiscovery", "DeleteIpamScope", "DeprovisionIpamByoasn", "DeprovisionIpamPoolCidr", "DescribeIpamByoasn", "DescribeIpamExternalResourceVerificationTokens", "DescribeIpamPools", "DescribeIpamResourceDiscoveries", "DescribeIpamResourceDiscoveryAssociations", "DescribeIpamScopes", "DescribeIpams", "DisableIpamOrganizationAdminAccount", "DisassociateIpamByoasn", "DisassociateIpamResourceDiscovery", "EnableIpamOrganizationAdminAccount", "GetIpamAddressHistory", "GetIpamDiscoveredAccounts", "GetIpamDiscoveredPublicAddresses", "GetIpamDiscoveredResourceCidrs", "GetIpamPoolAllocations", "GetIpamPoolCidrs", "GetIpamResourceCidrs", "ModifyIpam", "ModifyIpamPool", "ModifyIpamResourceCidr", "ModifyIpamResourceDiscovery", "ModifyIpamScope", "MoveByoipCidrToIpam", "ProvisionIpamByoasn", "ProvisionIpamPoolCidr", "ReleaseIpamPoolAllocation").
		Add("Client VPN terminates OpenVPN connections from remote users authenticated by certificates or a directory; niwa has no VPN data path for clients to connect to",
			"ApplySecurityGroupsToClientVpnTargetNetwork", "AssociateClientVpnTargetNetwork", "AuthorizeClientVpnIngress", "CreateClientVpnEndpoint", "CreateClientVpnRoute", "DeleteClientVpnEndpoint", "DeleteClientVpnRoute", "DescribeClientVpnAuthorizationRules", "DescribeClientVpnConnections", "DescribeClientVpnEndpoints", "DescribeClientVpnRoutes", "DescribeClientVpnTargetNetworks", "DisassociateClientVpnTargetNetwork", "ExportClientVpnClientCertificateRevocationList", "ExportClientVpnClientConfiguration", "ImportClientVpnClientCertificateRevocationList", "ModifyClientVpnEndpoint", "RevokeClientVpnIngress", "TerminateClientVpnConnections").
		Add("Nitro Enclaves need Nitro hardware and ACM for Nitro Enclaves",
			"AssociateEnclaveCertificateIamRole", "DisassociateEnclaveCertificateIamRole", "GetAssociatedEnclaveCertificateIamRoles").
		Add("scheduled events and event windows come from AWS's maintenance of the hardware under an instance; niwa's simulated instances have no hardware to maintain",
			"AssociateInstanceEventWindow", "CreateInstanceEventWindow", "DeleteInstanceEventWindow", "DeregisterInstanceEventNotificationAttributes", "DescribeInstanceEventNotificationAttributes", "DescribeInstanceEventWindows", "DisassociateInstanceEventWindow", "ModifyInstanceEventStartTime", "ModifyInstanceEventWindow", "RegisterInstanceEventNotificationAttributes").
		Add("trunk interfaces (ENI trunking) carry branch interfaces for ECS tasks and EKS pods on Nitro instances; niwa runs neither",
			"AssociateTrunkInterface", "DescribeTrunkInterfaceAssociations", "DisassociateTrunkInterface").
		Add("EC2-Classic and ClassicLink were retired by AWS in 2023 (the ClassicLink describes still answer false)",
			"AttachClassicLinkVpc", "DescribeClassicLinkInstances", "DescribeMovingAddresses", "DetachClassicLinkVpc", "DisableVpcClassicLink", "DisableVpcClassicLinkDnsSupport", "EnableVpcClassicLink", "EnableVpcClassicLinkDnsSupport", "MoveAddressToVpc", "RestoreAddressToClassic").
		Add("Verified Access decides each request with an identity provider (IAM Identity Center or OIDC) and a device-trust provider, external parties niwa does not run",
			"AttachVerifiedAccessTrustProvider", "CreateVerifiedAccessEndpoint", "CreateVerifiedAccessGroup", "CreateVerifiedAccessInstance", "CreateVerifiedAccessTrustProvider", "DeleteVerifiedAccessEndpoint", "DeleteVerifiedAccessGroup", "DeleteVerifiedAccessInstance", "DeleteVerifiedAccessTrustProvider", "DescribeVerifiedAccessEndpoints", "DescribeVerifiedAccessGroups", "DescribeVerifiedAccessInstanceLoggingConfigurations", "DescribeVerifiedAccessInstances", "DescribeVerifiedAccessTrustProviders", "DetachVerifiedAccessTrustProvider", "GetVerifiedAccessEndpointPolicy", "GetVerifiedAccessGroupPolicy", "ModifyVerifiedAccessEndpoint", "ModifyVerifiedAccessEndpointPolicy", "ModifyVerifiedAccessGroup", "ModifyVerifiedAccessGroupPolicy", "ModifyVerifiedAccessInstance", "ModifyVerifiedAccessInstanceLoggingConfiguration", "ModifyVerifiedAccessTrustProvider").
		Add("bundling makes instance-store-backed Windows AMIs from a running Windows guest's disk; niwa's instances have no disk contents",
			"BundleInstance", "CancelBundleTask", "DescribeBundleTasks").
		Add("VM Import converts disk images (OVA, VMDK, VHD, raw) uploaded to S3 into AMIs, snapshots and volumes; niwa boots no disk image to convert",
			"CancelConversionTask", "CancelImportTask", "DescribeConversionTasks", "DescribeImportImageTasks", "DescribeImportSnapshotTasks", "ImportImage", "ImportInstance", "ImportSnapshot", "ImportVolume").
		Add("VM Export writes an instance's or image's disk as VMDK, VHD or OVA to S3; niwa's instances and images have no disk contents to export",
			"CancelExportTask", "CreateInstanceExportTask", "DescribeExportImageTasks", "DescribeExportTasks", "ExportImage").
		Add("product codes belong to AWS Marketplace, which niwa does not run",
			"ConfirmProductInstance").
		Add("FPGA images (AFIs) need F1 instances' FPGA hardware and AWS's AFI build service",
			"CopyFpgaImage", "CreateFpgaImage", "DeleteFpgaImage", "DescribeFpgaImageAttribute", "DescribeFpgaImages", "ModifyFpgaImageAttribute", "ResetFpgaImageAttribute").
		Add("carrier gateways belong to Wavelength Zones inside telecom carriers' 5G networks",
			"CreateCarrierGateway", "DeleteCarrierGateway", "DescribeCarrierGateways").
		Add("local gateways and customer-owned IP pools belong to AWS Outposts racks on a customer's premises",
			"CreateCoipCidr", "CreateCoipPool", "CreateLocalGatewayRoute", "CreateLocalGatewayRouteTable", "CreateLocalGatewayRouteTableVirtualInterfaceGroupAssociation", "CreateLocalGatewayRouteTableVpcAssociation", "DeleteCoipCidr", "DeleteCoipPool", "DeleteLocalGatewayRoute", "DeleteLocalGatewayRouteTable", "DeleteLocalGatewayRouteTableVirtualInterfaceGroupAssociation", "DeleteLocalGatewayRouteTableVpcAssociation", "DescribeCoipPools", "DescribeLocalGatewayRouteTableVirtualInterfaceGroupAssociations", "DescribeLocalGatewayRouteTableVpcAssociations", "DescribeLocalGatewayRouteTables", "DescribeLocalGatewayVirtualInterfaceGroups", "DescribeLocalGatewayVirtualInterfaces", "DescribeLocalGateways", "GetCoipPoolUsage", "ModifyLocalGatewayRoute", "SearchLocalGatewayRoutes").
		Add("EC2 Instance Connect Endpoints tunnel SSH and RDP to instances' private addresses; niwa's simulated instances run no SSH or RDP server",
			"CreateInstanceConnectEndpoint", "DeleteInstanceConnectEndpoint", "DescribeInstanceConnectEndpoints").
		Add("network interface permissions let another AWS account (an AWS partner service) attach an interface in this account; niwa has no partner accounts",
			"CreateNetworkInterfacePermission", "DeleteNetworkInterfacePermission", "DescribeNetworkInterfacePermissions").
		Add("replacing a root volume restores an instance's disk from a snapshot or AMI; niwa's volumes have no disk contents",
			"CreateReplaceRootVolumeTask", "DescribeReplaceRootVolumeTasks").
		Add("storing an AMI in S3 writes the image's disk contents as objects; niwa's images have none",
			"CreateRestoreImageTask", "CreateStoreImageTask", "DescribeStoreImageTasks").
		Add("Spot prices, placement scores and the Spot data feed come from AWS's Spot market; niwa has no Spot market (its Spot requests stay open)",
			"CreateSpotDatafeedSubscription", "DeleteSpotDatafeedSubscription", "DescribeSpotDatafeedSubscription", "DescribeSpotPriceHistory", "GetSpotPlacementScores").
		Add("network performance metrics are AWS's measurements of latency between its regions and zones",
			"DescribeAwsNetworkPerformanceMetricSubscriptions", "DisableAwsNetworkPerformanceMetricSubscription", "EnableAwsNetworkPerformanceMetricSubscription", "GetAwsNetworkPerformanceData").
		Add("Capacity Blocks for ML are purchased GPU capacity: billing and hardware niwa does not have",
			"DescribeCapacityBlockOfferings", "PurchaseCapacityBlock").
		Add("Elastic Graphics was retired by AWS in January 2024",
			"DescribeElasticGpus").
		Add("Windows fast launch keeps pre-provisioned snapshots of booted Windows guests; niwa boots no Windows",
			"DescribeFastLaunchImages", "DisableFastLaunch", "EnableFastLaunch").
		Add("fast snapshot restore pre-warms a snapshot's blocks on EBS storage per zone; niwa's snapshots hold no blocks",
			"DescribeFastSnapshotRestores", "DisableFastSnapshotRestores", "EnableFastSnapshotRestores").
		Add("Scheduled Instances are retired by AWS (no new purchases); a purchase is billing",
			"DescribeScheduledInstanceAvailability", "DescribeScheduledInstances", "PurchaseScheduledInstances", "RunScheduledInstances").
		Add("the EBS Snapshots Archive tier moves snapshot data to colder storage; niwa's snapshots hold no data",
			"DescribeSnapshotTierStatus", "ModifySnapshotTier", "RestoreSnapshotTier").
		Add("needs AWS Organizations, which niwa does not run",
			"EnableReachabilityAnalyzerOrganizationSharing").
		Add("no guest draws a screen: niwa's instances are simulated (GetConsoleOutput answers their console text)",
			"GetConsoleScreenshot").
		Add("NitroTPM keys and UEFI variable stores need Nitro hardware and a booted UEFI guest",
			"GetInstanceTpmEkPub", "GetInstanceUefiData").
		Add("tunnel options, device configurations and tunnel replacement describe IPsec tunnels to a customer gateway device; niwa's VPN connections carry no IPsec traffic",
			"GetVpnConnectionDeviceSampleConfiguration", "GetVpnConnectionDeviceTypes", "GetVpnTunnelReplacementStatus", "ModifyVpnConnection", "ModifyVpnConnectionOptions", "ModifyVpnTunnelCertificate", "ModifyVpnTunnelOptions", "ReplaceVpnTunnel").
		Add("the Recycle Bin keeps deleted snapshots and AMIs under retention rules of the Recycle Bin service (rbin), which niwa does not run",
			"ListImagesInRecycleBin", "ListSnapshotsInRecycleBin", "RestoreImageFromRecycleBin", "RestoreSnapshotFromRecycleBin").
		Add("opting in to Local Zone and Wavelength Zone groups needs those AWS locations",
			"ModifyAvailabilityZoneGroup").
		Add("instance status reports go to AWS's health team about AWS hardware; niwa's instances have none",
			"ReportInstanceStatus").
		Add("no guest kernel to interrupt: niwa's instances are simulated",
			"SendDiagnosticInterrupt")
}
