// ServerlessMed: one tenant's environment (storage, events, queue, key vault, monitoring, identities, the ingest
// Functions app and, when the tenant wants synthetic images, the GPU worker). Deploy with scripts/deploy.sh.
targetScope = 'resourceGroup'

@description('Short tenant prefix (lower-case letters and digits) from which every resource name is derived.')
@minLength(3)
@maxLength(10)
param tenantPrefix string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Deploy the GPU worker (generation of synthetic images).')
param enableGeneration bool = false

@description('Worker image, e.g. myregistry.azurecr.io/serverlessmed-worker:1.0 (used when enableGeneration).')
param workerImage string = ''

@description('Container registry server of the worker image; the worker identity needs AcrPull on it.')
param registryServer string = ''

@description('Container Apps GPU workload profile type.')
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Largest number of worker replicas.')
@minValue(1)
param maxWorkerReplicas int = 4

@description('The image encoder: a model folder of the tenant\'s models container (upload it before the first ingest; see scripts/deploy.sh).')
@minLength(1)
param encoderModelId string

@description('The diffusion model the GPU worker serves: a model folder of the tenant\'s models container (used when enableGeneration).')
param diffusionModelId string = ''

@description('Largest number of Functions instances the ingest app scales out to (Flex Consumption).')
@minValue(40)
@maxValue(1000)
param functionsMaximumInstances int = 100

@description('Always-ready instances of the ingest function (0: scale to zero; 1 or more: no cold start for the first upload of the day, billed while idle).')
@minValue(0)
param functionsAlwaysReady int = 0

@description('Days before raw uploads are deleted by lifecycle management.')
@minValue(1)
param uploadRetentionDays int = 7

@description('Days before quarantined uploads are deleted by lifecycle management.')
@minValue(1)
param quarantineRetentionDays int = 30

@description('Log retention in days.')
@minValue(30)
param logRetentionDays int = 90

@description('Service Bus deliveries of a generation request before it is dead-lettered.')
@minValue(1)
param maxDeliveryCount int = 5

@description('Deploy Azure AI Search for the similarity index (tenants whose index outgrows the embedded one).')
param enableSearchService bool = false

@description('Tags applied to every resource.')
param tags object = {}

var suffix = uniqueString(resourceGroup().id, tenantPrefix)
var namePrefix = 'smed-${tenantPrefix}'
var allTags = union(tags, { product: 'ServerlessMed', tenant: tenantPrefix })
var storageName = take('smed${tenantPrefix}${suffix}', 24)
// One lock duration for the generation queue and the worker that renews it (Service Bus allows 5 s to 5 min).
var generationLockSeconds = 300

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-functions-id'
  location: location
  tags: allTags
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (enableGeneration) {
  name: '${namePrefix}-worker-id'
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    retentionDays: logRetentionDays
    functionsIdentityName: functionsIdentity.name
    workerIdentityName: enableGeneration ? workerIdentity.name : ''
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    storageName: storageName
    location: location
    tags: allTags
    uploadRetentionDays: uploadRetentionDays
    quarantineRetentionDays: quarantineRetentionDays
    functionsIdentityName: functionsIdentity.name
    workerIdentityName: enableGeneration ? workerIdentity.name : ''
  }
}

module events 'modules/eventgrid.bicep' = {
  name: 'events'
  // The account's name is known before deployment, so What-If can follow the event resources.
  dependsOn: [storage]
  params: { namePrefix: namePrefix, location: location, tags: allTags, storageName: storageName }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    namespaceName: 'smed-${tenantPrefix}-${suffix}'
    location: location
    tags: allTags
    functionsIdentityName: functionsIdentity.name
    workerIdentityName: enableGeneration ? workerIdentity.name : ''
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT${generationLockSeconds}S'
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    vaultName: take('smed-${tenantPrefix}-${suffix}', 24)
    location: location
    tags: allTags
    functionsIdentityName: functionsIdentity.name
  }
}

module functions 'modules/functions.bicep' = {
  name: 'functions'
  params: {
    namePrefix: namePrefix
    hostStorageName: take('smedh${tenantPrefix}${suffix}', 24)
    location: location
    tags: allTags
    identityName: functionsIdentity.name
    dataBlobEndpoint: storage.outputs.blobEndpoint
    dataQueueEndpoint: storage.outputs.queueEndpoint
    serviceBusHost: serviceBus.outputs.host
    vaultUri: vault.outputs.vaultUri
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    encoderModelId: encoderModelId
    maximumInstances: functionsMaximumInstances
    alwaysReady: functionsAlwaysReady
    searchEndpoint: enableSearchService ? search!.outputs.endpoint : ''
  }
}

module worker 'modules/worker.bicep' = if (enableGeneration) {
  name: 'worker'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    identityName: workerIdentity.name
    image: workerImage
    registryServer: registryServer
    gpuProfileType: gpuProfileType
    serviceBusNamespace: serviceBus.outputs.namespaceName
    serviceBusHost: serviceBus.outputs.host
    dataBlobEndpoint: storage.outputs.blobEndpoint
    maxReplicas: maxWorkerReplicas
    logAnalyticsCustomerId: monitoring.outputs.workspaceCustomerId
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    diffusionModelId: diffusionModelId
    maxDeliveryCount: maxDeliveryCount
    lockSeconds: generationLockSeconds
  }
}

module search 'modules/search.bicep' = if (enableSearchService) {
  name: 'search'
  params: { serviceName: 'smed-${tenantPrefix}-${suffix}', location: location, tags: allTags, functionsIdentityName: functionsIdentity.name }
}

output storageAccountName string = storage.outputs.storageName
output keyVaultName string = vault.outputs.vaultName
output functionsAppName string = functions.outputs.functionsAppName
output functionsDeploymentContainer string = functions.outputs.deploymentContainerUrl
output workerName string = enableGeneration ? worker!.outputs.workerName : ''
output searchEndpoint string = enableSearchService ? search!.outputs.endpoint : ''
