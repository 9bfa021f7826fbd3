using System.Text.Json.Nodes;

namespace ServerlessMed.Infra.Tests;

public sealed class BuildAndLintTests
{
    public static TheoryData<string> BicepFiles() =>
        [.. Directory.GetFiles(Bicep.Infra, "*.bicep", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Bicep.Infra, f))];

    public static TheoryData<string> ParamFiles() =>
        [.. Directory.GetFiles(Bicep.Infra, "*.bicepparam", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Bicep.Infra, f))];

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Every_template_builds_and_lints_with_no_diagnostics(string file)
    {
        var path = Path.Combine(Bicep.Infra, file);
        var build = Bicep.Run("build", path, "--stdout");
        Assert.True(build.ExitCode == 0, build.StdErr);
        Assert.Equal(string.Empty, build.StdErr.Trim());
        var lint = Bicep.Run("lint", path);
        Assert.True(lint.ExitCode == 0, lint.StdOut + lint.StdErr);
        Assert.Equal(string.Empty, (lint.StdOut + lint.StdErr).Trim());
    }

    [Theory]
    [MemberData(nameof(ParamFiles))]
    public void Every_tenant_parameter_file_builds(string file)
    {
        var r = Bicep.Run("build-params", Path.Combine(Bicep.Infra, file), "--stdout");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(string.Empty, r.StdErr.Trim());
        Assert.Contains("tenantPrefix", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void There_are_at_least_two_example_tenants_one_with_generation()
    {
        var files = Directory.GetFiles(Path.Combine(Bicep.Infra, "tenants"), "*.bicepparam");
        Assert.True(files.Length >= 2);
        Assert.Contains(files, f => File.ReadAllText(f).Contains("enableGeneration = true", StringComparison.Ordinal));
        Assert.Contains(files, f => File.ReadAllText(f).Contains("enableGeneration = false", StringComparison.Ordinal));
    }
}

/// <summary>Each security property of the design, read from the compiled ARM JSON: flipping one in the template fails here.</summary>
public sealed class SecurityPropertyTests
{
    private static readonly JsonObject Template = Bicep.CompileMain();

    private static readonly HashSet<string> AllowedRoles =
    [
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "8a0f0c08-91a1-4084-bc3d-661d67233fed", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
        "4633458b-17de-408a-b874-0445c86b69e6", "3913510d-42f4-4e42-8a64-420c390055eb", "19e7f393-937e-4f77-808e-94535e297925",
        "8ebe5a00-799e-43f5-93ac-243d3dce84a7", // Search Index Data Contributor (documents only)
    ];

    [Fact]
    public void Storage_accounts_have_no_shared_keys_no_public_access_https_and_tls12()
    {
        var accounts = Bicep.OfType(Template, "Microsoft.Storage/storageAccounts").ToList();
        Assert.Equal(2, accounts.Count); // tenant data and the Functions host
        foreach (var a in accounts)
        {
            var p = a["properties"]!;
            Assert.False((bool)p["allowSharedKeyAccess"]!);
            Assert.False((bool)p["allowBlobPublicAccess"]!);
            Assert.True((bool)p["supportsHttpsTrafficOnly"]!);
            Assert.Equal("TLS1_2", (string?)p["minimumTlsVersion"]);
        }
    }

    [Fact]
    public void Blob_versioning_soft_delete_and_lifecycle_for_uploads_and_quarantine()
    {
        // The tenant data account's blob service (the Functions host's account has one too, for its deployment package).
        var blob = Bicep.OfType(Template, "Microsoft.Storage/storageAccounts/blobServices").Single(b => b["properties"]?["isVersioningEnabled"] is not null)["properties"]!;
        Assert.True((bool)blob["isVersioningEnabled"]!);
        Assert.True((bool)blob["deleteRetentionPolicy"]!["enabled"]!);
        var rules = Bicep.OfType(Template, "Microsoft.Storage/storageAccounts/managementPolicies").Single()["properties"]!["policy"]!["rules"]!.AsArray();
        var prefixes = rules.SelectMany(r => r!["definition"]!["filters"]!["prefixMatch"]!.AsArray().Select(p => (string?)p)).ToList();
        Assert.Contains("uploads/", prefixes);
        Assert.Contains("quarantine/", prefixes);
        Assert.All(rules, r => Assert.NotNull(r!["definition"]!["actions"]!["baseBlob"]!["delete"]));
    }

    [Fact]
    public void Design_containers_and_queues_exist()
    {
        var storageTemplate = Bicep.AllResources(Template).Single(r => (string?)r.Resource["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers" && r.Resource["copy"] is not null).Template;
        var containers = storageTemplate["variables"]!["containers"]!.AsArray().Select(n => (string?)n).ToList();
        foreach (var c in new[] { "uploads", "deid", "embeddings", "audit", "quarantine", "generated", "models" })
        {
            Assert.Contains(c, containers);
        }

        Assert.Contains("ingest", storageTemplate["variables"]!["queues"]!.AsArray().Select(n => (string?)n));
        // One Service Bus queue: dead letters go to its own dead-letter sub-queue, not to a queue of ours.
        var sbQueue = Assert.Single(Bicep.OfType(Template, "Microsoft.ServiceBus/namespaces/queues").Select(q => (string?)q["name"]));
        Assert.EndsWith("'generation')]", sbQueue, StringComparison.Ordinal);
        Assert.DoesNotContain("generation-poison", Template.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Service_bus_has_local_auth_off_tls12_and_dead_letters()
    {
        var ns = Bicep.OfType(Template, "Microsoft.ServiceBus/namespaces").Single()["properties"]!;
        Assert.True((bool)ns["disableLocalAuth"]!);
        Assert.Equal("1.2", (string?)ns["minimumTlsVersion"]);
        foreach (var queue in Bicep.OfType(Template, "Microsoft.ServiceBus/namespaces/queues"))
        {
            var q = queue["properties"]!;
            Assert.True((bool)q["deadLetteringOnMessageExpiration"]!);
            Assert.NotNull(q["maxDeliveryCount"]);
            Assert.NotNull(q["lockDuration"]);
        }
    }

    [Fact]
    public void Key_vault_is_rbac_only_with_soft_delete_and_purge_protection()
    {
        var p = Bicep.OfType(Template, "Microsoft.KeyVault/vaults").Single()["properties"]!;
        Assert.True((bool)p["enableRbacAuthorization"]!);
        Assert.True((bool)p["enableSoftDelete"]!);
        Assert.True((bool)p["enablePurgeProtection"]!);
        Assert.Null(p["accessPolicies"]);
    }

    [Fact]
    public void Role_assignments_are_data_plane_roles_scoped_below_the_resource_group()
    {
        var assignments = Bicep.AllResources(Template).Where(r => (string?)r.Resource["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.True(assignments.Count >= 10, $"{assignments.Count} role assignments");
        foreach (var (a, declaringTemplate) in assignments)
        {
            var roleIds = ResolveRoleIds((string)a["properties"]!["roleDefinitionId"]!, declaringTemplate);
            Assert.NotEmpty(roleIds);
            Assert.All(roleIds, id => Assert.Contains(id, AllowedRoles));
            // A scope property means the assignment sits on a container, queue, vault or account, not the group.
            Assert.NotNull(a["scope"]);
        }

        // Owner, Contributor and User Access Administrator appear nowhere in the template.
        var json = Template.ToJsonString();
        foreach (var broad in new[] { "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9" })
        {
            Assert.DoesNotContain(broad, json, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The role GUIDs a roleDefinitionId expression can take: literal GUIDs, variables('roles').name, or
    /// the elements of an array variable indexed by copyIndex().</summary>
    private static HashSet<string> ResolveRoleIds(string expression, JsonObject template)
    {
        var result = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var variables = template["variables"]?.AsObject();
        var roles = variables?["roles"]?.AsObject();
        void Collect(string text)
        {
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
            {
                result.Add(m.Value);
            }

            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"variables\('roles'\)\.(\w+)"))
            {
                result.Add((string)roles![m.Groups[1].Value]!);
            }
        }

        Collect(expression);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(expression, @"variables\('(\w+)'\)\[copyIndex\(\)\]"))
        {
            foreach (var item in variables![m.Groups[1].Value]!.AsArray())
            {
                Collect(item!.ToString());
            }
        }

        return result;
    }

    [Fact]
    public void Event_grid_delivers_blob_created_under_uploads_to_the_ingest_queue_with_identity_and_dead_letter()
    {
        var topic = Bicep.OfType(Template, "Microsoft.EventGrid/systemTopics").Single();
        Assert.Equal("SystemAssigned", (string?)topic["identity"]!["type"]);
        var sub = Bicep.OfType(Template, "Microsoft.EventGrid/systemTopics/eventSubscriptions").Single()["properties"]!;
        Assert.Equal("Microsoft.Storage.BlobCreated", (string?)sub["filter"]!["includedEventTypes"]![0]);
        Assert.StartsWith("/blobServices/default/containers/uploads/", (string?)sub["filter"]!["subjectBeginsWith"], StringComparison.Ordinal);
        var delivery = sub["deliveryWithResourceIdentity"]!;
        Assert.Equal("StorageQueue", (string?)delivery["destination"]!["endpointType"]);
        Assert.Equal("ingest", (string?)delivery["destination"]!["properties"]!["queueName"]);
        Assert.NotNull(sub["deadLetterWithResourceIdentity"]);
        Assert.NotNull(sub["retryPolicy"]!["maxDeliveryAttempts"]);
    }

    [Fact]
    public void Worker_scales_from_zero_on_the_queue_with_its_managed_identity_on_a_gpu_profile()
    {
        var app = Bicep.OfType(Template, "Microsoft.App/containerApps").Single();
        var scale = app["properties"]!["template"]!["scale"]!;
        Assert.Equal(0, (int)scale["minReplicas"]!);
        var rule = scale["rules"]![0]!["custom"]!;
        Assert.Equal("azure-servicebus", (string?)rule["type"]);
        Assert.NotNull(rule["identity"]);
        Assert.Null(rule["auth"]); // no connection-string secret
        var env = Bicep.OfType(Template, "Microsoft.App/managedEnvironments").Single();
        Assert.Contains(env["properties"]!["workloadProfiles"]!.AsArray(), p => (string?)p!["name"] == "gpu");
    }

    [Fact]
    public void Monitoring_has_log_analytics_and_application_insights_without_local_auth()
    {
        Assert.Single(Bicep.OfType(Template, "Microsoft.OperationalInsights/workspaces"));
        var ai = Bicep.OfType(Template, "Microsoft.Insights/components").Single();
        Assert.True((bool)ai["properties"]!["DisableLocalAuth"]!);
    }

    [Fact]
    public void Search_service_is_deployed_only_when_the_tenant_enables_it_with_api_keys_off_and_a_data_plane_role()
    {
        var module = Bicep.OfType(Template, "Microsoft.Resources/deployments").Single(d => (string?)d["name"] == "search");
        Assert.Equal("[parameters('enableSearchService')]", (string?)module["condition"]);
        Assert.False((bool)Template["parameters"]!["enableSearchService"]!["defaultValue"]!);
        var service = Bicep.OfType(Template, "Microsoft.Search/searchServices").Single()["properties"]!;
        Assert.True((bool)service["disableLocalAuth"]!);
        Assert.Null(service["authOptions"]); // no API-key fallback
        var nested = module["properties"]!["template"]!.AsObject();
        var assignment = Bicep.AllResources(nested).Single(r => (string?)r.Resource["type"] == "Microsoft.Authorization/roleAssignments");
        Assert.Contains("search", (string?)assignment.Resource["scope"], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("searchIndexDataContributor", (string?)assignment.Resource["properties"]!["roleDefinitionId"], StringComparison.Ordinal);

        // Neither the management role that could create indexes or change the service, nor any key, appears.
        var json = Template.ToJsonString();
        foreach (var management in new[] { "7ca78c08-252a-4471-8644-bb5ff32d4ba0" }) // Search Service Contributor
        {
            Assert.DoesNotContain(management, json, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("listAdminKeys", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listQueryKeys", json, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(Template["outputs"]!["searchEndpoint"]);
    }

    [Fact]
    public void A_tenant_parameter_file_enables_the_search_service()
    {
        var r = Bicep.Run("build-params", Path.Combine(Bicep.Infra, "tenants", "imaging-research-lab.bicepparam"), "--stdout");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("enableSearchService", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Functions_app_is_dotnet_isolated_on_flex_consumption_deployed_and_connected_with_its_identity()
    {
        var plan = Bicep.OfType(Template, "Microsoft.Web/serverfarms").Single();
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        var site = Bicep.OfType(Template, "Microsoft.Web/sites").Single();
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        Assert.Equal("blobContainer", (string?)config["deployment"]!["storage"]!["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        var settings = site["properties"]!["siteConfig"]!["appSettings"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!["value"]?.ToString());
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("managedidentity", settings["TenantStorage__credential"]);
        // Flex Consumption refuses these, and none of them may carry a key.
        Assert.DoesNotContain(settings.Keys, k => k is "AzureWebJobsStorage" or "TenantStorage" or "FUNCTIONS_WORKER_RUNTIME" or "FUNCTIONS_EXTENSION_VERSION"
            or "WEBSITE_RUN_FROM_PACKAGE" or "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING");
        Assert.DoesNotContain(settings.Values, v => v is not null && v.Contains("AccountKey", StringComparison.OrdinalIgnoreCase));
        Assert.True((bool)site["properties"]!["httpsOnly"]!);
    }

    [Fact]
    public void Both_identities_may_publish_telemetry_to_application_insights_whose_local_auth_is_off()
    {
        var publisher = "3913510d-42f4-4e42-8a64-420c390055eb";
        var assignments = Bicep.AllResources(Template).Where(r => (string?)r.Resource["type"] == "Microsoft.Authorization/roleAssignments"
            && ((string)r.Resource["properties"]!["roleDefinitionId"]!) is var role
            && (role.Contains("monitoringMetricsPublisher", StringComparison.Ordinal) || role.Contains(publisher, StringComparison.Ordinal))).ToList();
        Assert.Equal(2, assignments.Count);
    }

    [Fact]
    public void Worker_requires_cuda_on_its_gpu_profile_and_is_ready_only_when_its_model_is_loaded()
    {
        var app = Bicep.OfType(Template, "Microsoft.App/containerApps").Single();
        var container = app["properties"]!["template"]!["containers"]![0]!;
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!["value"]?.ToString());
        Assert.Equal("Cuda", env["SMED_EXECUTION_PROVIDER"]);
        Assert.DoesNotContain(env.Keys, k => k is "SMED_BLOB_ENDPOINT" or "TenantStorage");
        var probes = container["probes"]!.AsArray().ToDictionary(p => (string)p!["type"]!, p => (string?)p!["httpGet"]!["path"]);
        Assert.Equal("/healthz", probes["Liveness"]);
        Assert.Equal("/readyz", probes["Readiness"]);
    }
}
