// The GPU worker on Container Apps: a GPU workload profile, scale from zero on the Service Bus queue length
// through KEDA's azure-servicebus scaler, authenticated with the worker's managed identity (no connection string).
param namePrefix string
param location string
param tags object
param identityName string
param image string
param registryServer string
@description('Container Apps GPU workload profile type, e.g. Consumption-GPU-NC8as-T4 or Consumption-GPU-NC24-A100.')
param gpuProfileType string
param serviceBusNamespace string
param serviceBusHost string
param dataBlobEndpoint string
param maxReplicas int
param logAnalyticsCustomerId string
param insightsConnectionString string
@description('The diffusion model: a model folder of the tenant\'s models container.')
param diffusionModelId string
param maxDeliveryCount int
param lockSeconds int

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      // Logs go through Azure Monitor diagnostic settings rather than a workspace shared key.
      destination: 'azure-monitor'
    }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      { name: 'gpu', workloadProfileType: gpuProfileType }
    ]
  }
}

// Every setting below is read by the worker (ServerlessMed.Pipeline/Hosting/Settings.cs);
// tests/ServerlessMed.Infra.Tests checks both directions by name.
resource worker 'Microsoft.App/containerApps@2025-01-01' = {
  name: '${namePrefix}-worker'
  location: location
  tags: union(tags, { 'log-analytics-workspace': logAnalyticsCustomerId })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'gpu'
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        { server: registryServer, identity: identity.id }
      ]
    }
    template: {
      // SIGTERM abandons the running request so another replica takes it; the worker waits up to 25 s for that.
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: 'worker'
          image: image
          env: [
            // On a GPU profile a worker without CUDA refuses to start (one log line, exit 3) instead of running on CPU.
            { name: 'SMED_EXECUTION_PROVIDER', value: 'Cuda' }
            { name: 'SMED_DIFFUSION_MODEL_ID', value: diffusionModelId }
            { name: 'SMED_MAX_DELIVERY_COUNT', value: string(maxDeliveryCount) }
            { name: 'SMED_LEASE_SECONDS', value: string(lockSeconds) }
            { name: 'TenantStorage__blobServiceUri', value: dataBlobEndpoint }
            { name: 'TenantStorage__credential', value: 'managedidentity' }
            { name: 'TenantStorage__clientId', value: identity.properties.clientId }
            { name: 'ServiceBus__fullyQualifiedNamespace', value: serviceBusHost }
            { name: 'ServiceBus__queueName', value: 'generation' }
            { name: 'ServiceBus__credential', value: 'managedidentity' }
            { name: 'ServiceBus__clientId', value: identity.properties.clientId }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
            { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.properties.clientId}' }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 10 }
          ]
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'generation-queue'
            custom: {
              type: 'azure-servicebus'
              metadata: {
                namespace: serviceBusNamespace
                queueName: 'generation'
                messageCount: '1'
              }
              identity: identity.id
            }
          }
        ]
      }
    }
  }
}

output workerName string = worker.name
