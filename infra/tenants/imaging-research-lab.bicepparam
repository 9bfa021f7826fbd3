// A research group: generation of synthetic images on a GPU workload profile.
using '../main.bicep'

param tenantPrefix = 'imglab'
param enableGeneration = true
param workerImage = 'imglabregistry.azurecr.io/serverlessmed-worker:0.1.0'
param registryServer = 'imglabregistry.azurecr.io'
param gpuProfileType = 'Consumption-GPU-NC24-A100'
param maxWorkerReplicas = 2
param encoderModelId = 'cxr-foundation-v1'
param diffusionModelId = 'roentgen-sd-v1'
param uploadRetentionDays = 7
param quarantineRetentionDays = 60
param maxDeliveryCount = 3
param enableSearchService = true
param tags = {
  owner: 'ml-platform'
  environment: 'research'
}
