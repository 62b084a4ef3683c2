"""The pipeline config schema compiled to Python: GENERATED, do not edit.

Made by `python -m pipeflow.config.schema_compile` from schema.json (fastjsonschema 2.22.3);
see that module. `config.schema.compiled_valid` uses it only while SCHEMA_SHA256 matches.
"""
# ruff: noqa
# mypy: ignore-errors

SCHEMA_SHA256 = "a54ee477c99bf1732495624924f8b9495ca5f85f49a8d057b7cd03ec1b629ee5"


class JsonSchemaValueException(ValueError):
    def __init__(self, message, *args, **kwargs):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException

VERSION = "2.22.3"
Decimal = float  # configs hold no Decimal (a Decimal fails the check: jsonschema decides)
import re


REGEX_PATTERNS = {
    '^[A-Za-z0-9_-]+$': re.compile('^[A-Za-z0-9_-]+\\Z'),
    '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$': re.compile('^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+\\Z'),
    '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$': re.compile('^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*\\Z'),
    '^[A-Za-z_][A-Za-z0-9_]*$': re.compile('^[A-Za-z_][A-Za-z0-9_]*\\Z'),
    '^\\$\\{[^{}]+\\}$': re.compile('^\\$\\{[^{}]+\\}\\Z'),
    '^[A-Za-z_][A-Za-z0-9_-]*$': re.compile('^[A-Za-z_][A-Za-z0-9_-]*\\Z'),
    '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$': re.compile('^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+\\Z')
}

NoneType = type(None)

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-07/schema#', '$id': 'https://example.invalid/pipeflow/schema/pipeline-1.json', 'type': 'object', 'required': ['name', 'steps'], 'additionalProperties': False, 'properties': {'$schema': {'type': 'string'}, 'pipeflow': {'allOf': [{'const': 1}, {'type': ['integer']}]}, 'name': {'type': 'string', 'pattern': '^[A-Za-z0-9_-]+$'}, 'description': {'type': 'string'}, 'params': {'type': 'object'}, 'params_schema': {'type': 'object'}, 'results': {'type': 'object', 'additionalProperties': False, 'properties': {'root': {'type': 'string'}, 'storage_options': {'type': 'object'}, 'persist': {'type': 'boolean'}}}, 'executor': {'type': 'object', 'additionalProperties': False, 'properties': {'type': {'allOf': [{'enum': ['sequential', 'threads', 'processes', 'dask']}, {'type': ['string']}]}, 'workers': {'type': 'integer', 'minimum': 1}, 'address': {'type': 'string'}, 'threads_per_worker': {'type': 'integer', 'minimum': 1}, 'cluster': {'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, 'shared_filesystem': {'type': 'boolean'}}}, 'defaults': {'type': 'object', 'additionalProperties': False, 'properties': {'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'cache': {'type': 'boolean'}}}, 'steps': {'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, 'schedules': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}, 'allow_imports': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}}, 'outputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}}}, '$defs': {'duration': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'timeout': {'anyOf': [{'type': 'null'}, {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}]}, 'reference': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}, 'identifier': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'file_path': {'type': 'string', 'minLength': 1}, 'step_name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'result': {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}, 'step': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, 'schedule': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['name', 'steps']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-07/schema#', '$id': 'https://example.invalid/pipeflow/schema/pipeline-1.json', 'type': 'object', 'required': ['name', 'steps'], 'additionalProperties': False, 'properties': {'$schema': {'type': 'string'}, 'pipeflow': {'allOf': [{'const': 1}, {'type': ['integer']}]}, 'name': {'type': 'string', 'pattern': '^[A-Za-z0-9_-]+$'}, 'description': {'type': 'string'}, 'params': {'type': 'object'}, 'params_schema': {'type': 'object'}, 'results': {'type': 'object', 'additionalProperties': False, 'properties': {'root': {'type': 'string'}, 'storage_options': {'type': 'object'}, 'persist': {'type': 'boolean'}}}, 'executor': {'type': 'object', 'additionalProperties': False, 'properties': {'type': {'allOf': [{'enum': ['sequential', 'threads', 'processes', 'dask']}, {'type': ['string']}]}, 'workers': {'type': 'integer', 'minimum': 1}, 'address': {'type': 'string'}, 'threads_per_worker': {'type': 'integer', 'minimum': 1}, 'cluster': {'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, 'shared_filesystem': {'type': 'boolean'}}}, 'defaults': {'type': 'object', 'additionalProperties': False, 'properties': {'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'cache': {'type': 'boolean'}}}, 'steps': {'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, 'schedules': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}, 'allow_imports': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}}, 'outputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}}}, '$defs': {'duration': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'timeout': {'anyOf': [{'type': 'null'}, {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}]}, 'reference': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}, 'identifier': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'file_path': {'type': 'string', 'minLength': 1}, 'step_name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'result': {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}, 'step': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, 'schedule': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}}, rule='required')
        data_keys = set(data.keys())
        if "$schema" in data_keys:
            data_keys.remove("$schema")
            data__schema = data["$schema"]
            if not isinstance(data__schema, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".$schema must be string", value=data__schema, name="" + (name_prefix or "data") + ".$schema", definition={'type': 'string'}, rule='type')
        if "pipeflow" in data_keys:
            data_keys.remove("pipeflow")
            data__pipeflow = data["pipeflow"]
            if not (isinstance(data__pipeflow, (int, float)) and not isinstance(data__pipeflow, bool) and data__pipeflow == 1):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".pipeflow must be same as const definition: 1", value=data__pipeflow, name="" + (name_prefix or "data") + ".pipeflow", definition={'const': 1}, rule='const')
            if not isinstance(data__pipeflow, (int)) and not (isinstance(data__pipeflow, float) and data__pipeflow.is_integer()) or isinstance(data__pipeflow, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".pipeflow must be integer", value=data__pipeflow, name="" + (name_prefix or "data") + ".pipeflow", definition={'type': ['integer']}, rule='type')
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string", value=data__name, name="" + (name_prefix or "data") + ".name", definition={'type': 'string', 'pattern': '^[A-Za-z0-9_-]+$'}, rule='type')
            if isinstance(data__name, str):
                if not REGEX_PATTERNS['^[A-Za-z0-9_-]+$'].search(data__name):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must match pattern ^[A-Za-z0-9_-]+$", value=data__name, name="" + (name_prefix or "data") + ".name", definition={'type': 'string', 'pattern': '^[A-Za-z0-9_-]+$'}, rule='pattern')
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            if not isinstance(data__description, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".description must be string", value=data__description, name="" + (name_prefix or "data") + ".description", definition={'type': 'string'}, rule='type')
        if "params" in data_keys:
            data_keys.remove("params")
            data__params = data["params"]
            if not isinstance(data__params, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".params must be object", value=data__params, name="" + (name_prefix or "data") + ".params", definition={'type': 'object'}, rule='type')
        if "params_schema" in data_keys:
            data_keys.remove("params_schema")
            data__paramsschema = data["params_schema"]
            if not isinstance(data__paramsschema, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".params_schema must be object", value=data__paramsschema, name="" + (name_prefix or "data") + ".params_schema", definition={'type': 'object'}, rule='type')
        if "results" in data_keys:
            data_keys.remove("results")
            data__results = data["results"]
            if not isinstance(data__results, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".results must be object", value=data__results, name="" + (name_prefix or "data") + ".results", definition={'type': 'object', 'additionalProperties': False, 'properties': {'root': {'type': 'string'}, 'storage_options': {'type': 'object'}, 'persist': {'type': 'boolean'}}}, rule='type')
            data__results_is_dict = isinstance(data__results, dict)
            if data__results_is_dict:
                data__results_keys = set(data__results.keys())
                if "root" in data__results_keys:
                    data__results_keys.remove("root")
                    data__results__root = data__results["root"]
                    if not isinstance(data__results__root, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".results.root must be string", value=data__results__root, name="" + (name_prefix or "data") + ".results.root", definition={'type': 'string'}, rule='type')
                if "storage_options" in data__results_keys:
                    data__results_keys.remove("storage_options")
                    data__results__storageoptions = data__results["storage_options"]
                    if not isinstance(data__results__storageoptions, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".results.storage_options must be object", value=data__results__storageoptions, name="" + (name_prefix or "data") + ".results.storage_options", definition={'type': 'object'}, rule='type')
                if "persist" in data__results_keys:
                    data__results_keys.remove("persist")
                    data__results__persist = data__results["persist"]
                    if not isinstance(data__results__persist, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".results.persist must be boolean", value=data__results__persist, name="" + (name_prefix or "data") + ".results.persist", definition={'type': 'boolean'}, rule='type')
                if data__results_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".results must not contain "+str(data__results_keys)+" properties", value=data__results, name="" + (name_prefix or "data") + ".results", definition={'type': 'object', 'additionalProperties': False, 'properties': {'root': {'type': 'string'}, 'storage_options': {'type': 'object'}, 'persist': {'type': 'boolean'}}}, rule='additionalProperties')
        if "executor" in data_keys:
            data_keys.remove("executor")
            data__executor = data["executor"]
            if not isinstance(data__executor, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor must be object", value=data__executor, name="" + (name_prefix or "data") + ".executor", definition={'type': 'object', 'additionalProperties': False, 'properties': {'type': {'allOf': [{'enum': ['sequential', 'threads', 'processes', 'dask']}, {'type': ['string']}]}, 'workers': {'type': 'integer', 'minimum': 1}, 'address': {'type': 'string'}, 'threads_per_worker': {'type': 'integer', 'minimum': 1}, 'cluster': {'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, 'shared_filesystem': {'type': 'boolean'}}}, rule='type')
            data__executor_is_dict = isinstance(data__executor, dict)
            if data__executor_is_dict:
                data__executor_keys = set(data__executor.keys())
                if "type" in data__executor_keys:
                    data__executor_keys.remove("type")
                    data__executor__type = data__executor["type"]
                    if not (isinstance(data__executor__type, str) and data__executor__type == 'sequential' or isinstance(data__executor__type, str) and data__executor__type == 'threads' or isinstance(data__executor__type, str) and data__executor__type == 'processes' or isinstance(data__executor__type, str) and data__executor__type == 'dask'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.type must be one of ['sequential', 'threads', 'processes', 'dask']", value=data__executor__type, name="" + (name_prefix or "data") + ".executor.type", definition={'enum': ['sequential', 'threads', 'processes', 'dask']}, rule='enum')
                    if not isinstance(data__executor__type, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.type must be string", value=data__executor__type, name="" + (name_prefix or "data") + ".executor.type", definition={'type': ['string']}, rule='type')
                if "workers" in data__executor_keys:
                    data__executor_keys.remove("workers")
                    data__executor__workers = data__executor["workers"]
                    if not isinstance(data__executor__workers, (int)) and not (isinstance(data__executor__workers, float) and data__executor__workers.is_integer()) or isinstance(data__executor__workers, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.workers must be integer", value=data__executor__workers, name="" + (name_prefix or "data") + ".executor.workers", definition={'type': 'integer', 'minimum': 1}, rule='type')
                    if isinstance(data__executor__workers, (int, float, Decimal)) and not isinstance(data__executor__workers, bool):
                        if data__executor__workers < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.workers must be bigger than or equal to 1", value=data__executor__workers, name="" + (name_prefix or "data") + ".executor.workers", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
                if "address" in data__executor_keys:
                    data__executor_keys.remove("address")
                    data__executor__address = data__executor["address"]
                    if not isinstance(data__executor__address, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.address must be string", value=data__executor__address, name="" + (name_prefix or "data") + ".executor.address", definition={'type': 'string'}, rule='type')
                if "threads_per_worker" in data__executor_keys:
                    data__executor_keys.remove("threads_per_worker")
                    data__executor__threadsperworker = data__executor["threads_per_worker"]
                    if not isinstance(data__executor__threadsperworker, (int)) and not (isinstance(data__executor__threadsperworker, float) and data__executor__threadsperworker.is_integer()) or isinstance(data__executor__threadsperworker, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.threads_per_worker must be integer", value=data__executor__threadsperworker, name="" + (name_prefix or "data") + ".executor.threads_per_worker", definition={'type': 'integer', 'minimum': 1}, rule='type')
                    if isinstance(data__executor__threadsperworker, (int, float, Decimal)) and not isinstance(data__executor__threadsperworker, bool):
                        if data__executor__threadsperworker < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.threads_per_worker must be bigger than or equal to 1", value=data__executor__threadsperworker, name="" + (name_prefix or "data") + ".executor.threads_per_worker", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
                if "cluster" in data__executor_keys:
                    data__executor_keys.remove("cluster")
                    data__executor__cluster = data__executor["cluster"]
                    if not isinstance(data__executor__cluster, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster must be object", value=data__executor__cluster, name="" + (name_prefix or "data") + ".executor.cluster", definition={'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, rule='type')
                    data__executor__cluster_is_dict = isinstance(data__executor__cluster, dict)
                    if data__executor__cluster_is_dict:
                        data__executor__cluster__missing_keys = set(['class']) - data__executor__cluster.keys()
                        if data__executor__cluster__missing_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster must contain " + (str(sorted(data__executor__cluster__missing_keys)) + " properties"), value=data__executor__cluster, name="" + (name_prefix or "data") + ".executor.cluster", definition={'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, rule='required')
                        data__executor__cluster_keys = set(data__executor__cluster.keys())
                        if "class" in data__executor__cluster_keys:
                            data__executor__cluster_keys.remove("class")
                            data__executor__cluster__class = data__executor__cluster["class"]
                            if not isinstance(data__executor__cluster__class, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster.class must be string", value=data__executor__cluster__class, name="" + (name_prefix or "data") + ".executor.cluster.class", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, rule='type')
                            if isinstance(data__executor__cluster__class, str):
                                if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'].search(data__executor__cluster__class):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster.class must match pattern ^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", value=data__executor__cluster__class, name="" + (name_prefix or "data") + ".executor.cluster.class", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, rule='pattern')
                        if "options" in data__executor__cluster_keys:
                            data__executor__cluster_keys.remove("options")
                            data__executor__cluster__options = data__executor__cluster["options"]
                            if not isinstance(data__executor__cluster__options, (dict)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster.options must be object", value=data__executor__cluster__options, name="" + (name_prefix or "data") + ".executor.cluster.options", definition={'type': 'object'}, rule='type')
                        if "scale" in data__executor__cluster_keys:
                            data__executor__cluster_keys.remove("scale")
                            data__executor__cluster__scale = data__executor__cluster["scale"]
                            if not isinstance(data__executor__cluster__scale, (int)) and not (isinstance(data__executor__cluster__scale, float) and data__executor__cluster__scale.is_integer()) or isinstance(data__executor__cluster__scale, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster.scale must be integer", value=data__executor__cluster__scale, name="" + (name_prefix or "data") + ".executor.cluster.scale", definition={'type': 'integer', 'minimum': 1}, rule='type')
                            if isinstance(data__executor__cluster__scale, (int, float, Decimal)) and not isinstance(data__executor__cluster__scale, bool):
                                if data__executor__cluster__scale < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster.scale must be bigger than or equal to 1", value=data__executor__cluster__scale, name="" + (name_prefix or "data") + ".executor.cluster.scale", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
                        if data__executor__cluster_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.cluster must not contain "+str(data__executor__cluster_keys)+" properties", value=data__executor__cluster, name="" + (name_prefix or "data") + ".executor.cluster", definition={'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, rule='additionalProperties')
                if "shared_filesystem" in data__executor_keys:
                    data__executor_keys.remove("shared_filesystem")
                    data__executor__sharedfilesystem = data__executor["shared_filesystem"]
                    if not isinstance(data__executor__sharedfilesystem, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor.shared_filesystem must be boolean", value=data__executor__sharedfilesystem, name="" + (name_prefix or "data") + ".executor.shared_filesystem", definition={'type': 'boolean'}, rule='type')
                if data__executor_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".executor must not contain "+str(data__executor_keys)+" properties", value=data__executor, name="" + (name_prefix or "data") + ".executor", definition={'type': 'object', 'additionalProperties': False, 'properties': {'type': {'allOf': [{'enum': ['sequential', 'threads', 'processes', 'dask']}, {'type': ['string']}]}, 'workers': {'type': 'integer', 'minimum': 1}, 'address': {'type': 'string'}, 'threads_per_worker': {'type': 'integer', 'minimum': 1}, 'cluster': {'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, 'shared_filesystem': {'type': 'boolean'}}}, rule='additionalProperties')
        if "defaults" in data_keys:
            data_keys.remove("defaults")
            data__defaults = data["defaults"]
            if not isinstance(data__defaults, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults must be object", value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'type': 'object', 'additionalProperties': False, 'properties': {'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'cache': {'type': 'boolean'}}}, rule='type')
            data__defaults_is_dict = isinstance(data__defaults, dict)
            if data__defaults_is_dict:
                data__defaults_keys = set(data__defaults.keys())
                if "retries" in data__defaults_keys:
                    data__defaults_keys.remove("retries")
                    data__defaults__retries = data__defaults["retries"]
                    if not isinstance(data__defaults__retries, (int)) and not (isinstance(data__defaults__retries, float) and data__defaults__retries.is_integer()) or isinstance(data__defaults__retries, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults.retries must be integer", value=data__defaults__retries, name="" + (name_prefix or "data") + ".defaults.retries", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__defaults__retries, (int, float, Decimal)) and not isinstance(data__defaults__retries, bool):
                        if data__defaults__retries < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults.retries must be bigger than or equal to 0", value=data__defaults__retries, name="" + (name_prefix or "data") + ".defaults.retries", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "retry_delay" in data__defaults_keys:
                    data__defaults_keys.remove("retry_delay")
                    data__defaults__retrydelay = data__defaults["retry_delay"]
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_duration(data__defaults__retrydelay, custom_formats, (name_prefix or "data") + ".defaults.retry_delay")
                if "retry_backoff" in data__defaults_keys:
                    data__defaults_keys.remove("retry_backoff")
                    data__defaults__retrybackoff = data__defaults["retry_backoff"]
                    if not isinstance(data__defaults__retrybackoff, (int, float, Decimal)) or isinstance(data__defaults__retrybackoff, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults.retry_backoff must be number", value=data__defaults__retrybackoff, name="" + (name_prefix or "data") + ".defaults.retry_backoff", definition={'type': 'number', 'minimum': 1}, rule='type')
                    if isinstance(data__defaults__retrybackoff, (int, float, Decimal)) and not isinstance(data__defaults__retrybackoff, bool):
                        if data__defaults__retrybackoff < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults.retry_backoff must be bigger than or equal to 1", value=data__defaults__retrybackoff, name="" + (name_prefix or "data") + ".defaults.retry_backoff", definition={'type': 'number', 'minimum': 1}, rule='minimum')
                if "timeout" in data__defaults_keys:
                    data__defaults_keys.remove("timeout")
                    data__defaults__timeout = data__defaults["timeout"]
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_timeout(data__defaults__timeout, custom_formats, (name_prefix or "data") + ".defaults.timeout")
                if "cache" in data__defaults_keys:
                    data__defaults_keys.remove("cache")
                    data__defaults__cache = data__defaults["cache"]
                    if not isinstance(data__defaults__cache, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults.cache must be boolean", value=data__defaults__cache, name="" + (name_prefix or "data") + ".defaults.cache", definition={'type': 'boolean'}, rule='type')
                if data__defaults_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults must not contain "+str(data__defaults_keys)+" properties", value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'type': 'object', 'additionalProperties': False, 'properties': {'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'cache': {'type': 'boolean'}}}, rule='additionalProperties')
        if "steps" in data_keys:
            data_keys.remove("steps")
            data__steps = data["steps"]
            if not isinstance(data__steps, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".steps must be object", value=data__steps, name="" + (name_prefix or "data") + ".steps", definition={'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, rule='type')
            data__steps_is_dict = isinstance(data__steps, dict)
            if data__steps_is_dict:
                data__steps_len = len(data__steps)
                if data__steps_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".steps must contain at least 1 properties", value=data__steps, name="" + (name_prefix or "data") + ".steps", definition={'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, rule='minProperties')
                data__steps_keys = set(data__steps.keys())
                for data__steps_key in data__steps_keys:
                    if data__steps_key not in []:
                        data__steps_value = data__steps.get(data__steps_key)
                        validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_step(data__steps_value, custom_formats, (name_prefix or "data") + f".steps.{data__steps_key}")
                if data__steps_len != 0:
                    data__steps_property_names = True
                    for data__steps_key in data__steps:
                        try:
                            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_step_name(data__steps_key, custom_formats, (name_prefix or "data") + ".steps")
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__steps_property_names = False
                    if not data__steps_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".steps must be named by propertyName definition", value=data__steps, name="" + (name_prefix or "data") + ".steps", definition={'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, rule='propertyNames')
        if "schedules" in data_keys:
            data_keys.remove("schedules")
            data__schedules = data["schedules"]
            if not isinstance(data__schedules, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".schedules must be array", value=data__schedules, name="" + (name_prefix or "data") + ".schedules", definition={'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}, rule='type')
            data__schedules_is_list = isinstance(data__schedules, (list, tuple))
            if data__schedules_is_list:
                data__schedules_len = len(data__schedules)
                for data__schedules_x, data__schedules_item in enumerate(data__schedules):
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_schedule(data__schedules_item, custom_formats, (name_prefix or "data") + f".schedules[{data__schedules_x}]")
        if "allow_imports" in data_keys:
            data_keys.remove("allow_imports")
            data__allowimports = data["allow_imports"]
            if not isinstance(data__allowimports, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".allow_imports must be array", value=data__allowimports, name="" + (name_prefix or "data") + ".allow_imports", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}}, rule='type')
            data__allowimports_is_list = isinstance(data__allowimports, (list, tuple))
            if data__allowimports_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__allowimports_len = len(data__allowimports)
                if data__allowimports_len > len(set(fn(data__allowimports_x) for data__allowimports_x in data__allowimports)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".allow_imports must contain unique items", value=data__allowimports, name="" + (name_prefix or "data") + ".allow_imports", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}}, rule='uniqueItems')
                for data__allowimports_x, data__allowimports_item in enumerate(data__allowimports):
                    if not isinstance(data__allowimports_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + f".allow_imports[{data__allowimports_x}]" + " must be string", value=data__allowimports_item, name="" + (name_prefix or "data") + f".allow_imports[{data__allowimports_x}]" + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, rule='type')
                    if isinstance(data__allowimports_item, str):
                        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'].search(data__allowimports_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + f".allow_imports[{data__allowimports_x}]" + " must match pattern ^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", value=data__allowimports_item, name="" + (name_prefix or "data") + f".allow_imports[{data__allowimports_x}]" + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, rule='pattern')
        if "outputs" in data_keys:
            data_keys.remove("outputs")
            data__outputs = data["outputs"]
            if not isinstance(data__outputs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must be object", value=data__outputs, name="" + (name_prefix or "data") + ".outputs", definition={'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}}, rule='type')
            data__outputs_is_dict = isinstance(data__outputs, dict)
            if data__outputs_is_dict:
                data__outputs_keys = set(data__outputs.keys())
                for data__outputs_key in data__outputs_keys:
                    if data__outputs_key not in []:
                        data__outputs_value = data__outputs.get(data__outputs_key)
                        validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_reference(data__outputs_value, custom_formats, (name_prefix or "data") + f".outputs.{data__outputs_key}")
                data__outputs_len = len(data__outputs)
                if data__outputs_len != 0:
                    data__outputs_property_names = True
                    for data__outputs_key in data__outputs:
                        try:
                            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_identifier(data__outputs_key, custom_formats, (name_prefix or "data") + ".outputs")
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__outputs_property_names = False
                    if not data__outputs_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must be named by propertyName definition", value=data__outputs, name="" + (name_prefix or "data") + ".outputs", definition={'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}}, rule='propertyNames')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-07/schema#', '$id': 'https://example.invalid/pipeflow/schema/pipeline-1.json', 'type': 'object', 'required': ['name', 'steps'], 'additionalProperties': False, 'properties': {'$schema': {'type': 'string'}, 'pipeflow': {'allOf': [{'const': 1}, {'type': ['integer']}]}, 'name': {'type': 'string', 'pattern': '^[A-Za-z0-9_-]+$'}, 'description': {'type': 'string'}, 'params': {'type': 'object'}, 'params_schema': {'type': 'object'}, 'results': {'type': 'object', 'additionalProperties': False, 'properties': {'root': {'type': 'string'}, 'storage_options': {'type': 'object'}, 'persist': {'type': 'boolean'}}}, 'executor': {'type': 'object', 'additionalProperties': False, 'properties': {'type': {'allOf': [{'enum': ['sequential', 'threads', 'processes', 'dask']}, {'type': ['string']}]}, 'workers': {'type': 'integer', 'minimum': 1}, 'address': {'type': 'string'}, 'threads_per_worker': {'type': 'integer', 'minimum': 1}, 'cluster': {'type': 'object', 'additionalProperties': False, 'required': ['class'], 'properties': {'class': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$'}, 'options': {'type': 'object'}, 'scale': {'type': 'integer', 'minimum': 1}}}, 'shared_filesystem': {'type': 'boolean'}}}, 'defaults': {'type': 'object', 'additionalProperties': False, 'properties': {'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'cache': {'type': 'boolean'}}}, 'steps': {'type': 'object', 'minProperties': 1, 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/step_name'}}, 'reads': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'writes': {'anyOf': [{'$ref': '#/$defs/file_path'}, {'type': 'array', 'uniqueItems': True, 'items': {'$ref': '#/$defs/file_path'}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'$ref': '#/$defs/result'}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/timeout'}, 'foreach': {}, 'as': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/identifier'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}}, 'schedules': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'$ref': 'https://example.invalid/pipeflow/schema/pipeline-1.json#/$defs/duration'}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}, 'allow_imports': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}}, 'outputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}}}, '$defs': {'duration': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'timeout': {'anyOf': [{'type': 'null'}, {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}]}, 'reference': {'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}, 'identifier': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'file_path': {'type': 'string', 'minLength': 1}, 'step_name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, 'result': {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}, 'step': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, 'schedule': {'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}}}, rule='additionalProperties')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_identifier(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[A-Za-z_][A-Za-z0-9_]*$", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='pattern')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_reference(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^\\$\\{[^{}]+\\}$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^\\$\\{[^{}]+\\}$", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^\\$\\{[^{}]+\\}$'}, rule='pattern')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_schedule(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}, rule='type')
    data_one_of_count1 = 0
    if data_one_of_count1 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['cron']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['cron']}, rule='required')
            data_one_of_count1 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count1 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['interval']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['interval']}, rule='required')
            data_one_of_count1 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count1 != 1:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be valid exactly by one definition" + (" (" + str(data_one_of_count1) + " matches found)"), value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}, rule='oneOf')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "cron" in data_keys:
            data_keys.remove("cron")
            data__cron = data["cron"]
            if not isinstance(data__cron, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".cron must be string", value=data__cron, name="" + (name_prefix or "data") + ".cron", definition={'type': 'string'}, rule='type')
        if "timezone" in data_keys:
            data_keys.remove("timezone")
            data__timezone = data["timezone"]
            if not isinstance(data__timezone, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timezone must be string", value=data__timezone, name="" + (name_prefix or "data") + ".timezone", definition={'type': 'string'}, rule='type')
        if "interval" in data_keys:
            data_keys.remove("interval")
            data__interval = data["interval"]
            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_duration(data__interval, custom_formats, (name_prefix or "data") + ".interval")
        if "params" in data_keys:
            data_keys.remove("params")
            data__params = data["params"]
            if not isinstance(data__params, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".params must be object", value=data__params, name="" + (name_prefix or "data") + ".params", definition={'type': 'object'}, rule='type')
        if "start" in data_keys:
            data_keys.remove("start")
            data__start = data["start"]
            if not isinstance(data__start, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".start must be string", value=data__start, name="" + (name_prefix or "data") + ".start", definition={'type': 'string'}, rule='type')
        if "end" in data_keys:
            data_keys.remove("end")
            data__end = data["end"]
            if not isinstance(data__end, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".end must be string", value=data__end, name="" + (name_prefix or "data") + ".end", definition={'type': 'string'}, rule='type')
        if "catch_up" in data_keys:
            data_keys.remove("catch_up")
            data__catchup = data["catch_up"]
            if not isinstance(data__catchup, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".catch_up must be boolean", value=data__catchup, name="" + (name_prefix or "data") + ".catch_up", definition={'type': 'boolean'}, rule='type')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['cron']}, {'required': ['interval']}], 'properties': {'cron': {'type': 'string'}, 'timezone': {'type': 'string'}, 'interval': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'params': {'type': 'object'}, 'start': {'type': 'string'}, 'end': {'type': 'string'}, 'catch_up': {'type': 'boolean'}}}, rule='additionalProperties')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_step_name(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_-]*$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[A-Za-z_][A-Za-z0-9_-]*$", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}, rule='pattern')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_step(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, rule='type')
    data_one_of_count2 = 0
    if data_one_of_count2 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['run']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['run']}, rule='required')
            data_one_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count2 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['pipeline']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['pipeline']}, rule='required')
            data_one_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count2 != 1:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be valid exactly by one definition" + (" (" + str(data_one_of_count2) + " matches found)"), value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, rule='oneOf')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "run" in data_keys:
            data_keys.remove("run")
            data__run = data["run"]
            if not isinstance(data__run, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".run must be string", value=data__run, name="" + (name_prefix or "data") + ".run", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__run, str):
                data__run_len = len(data__run)
                if data__run_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".run must be longer than or equal to 1 characters", value=data__run, name="" + (name_prefix or "data") + ".run", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "pipeline" in data_keys:
            data_keys.remove("pipeline")
            data__pipeline = data["pipeline"]
            if not isinstance(data__pipeline, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".pipeline must be string", value=data__pipeline, name="" + (name_prefix or "data") + ".pipeline", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__pipeline, str):
                data__pipeline_len = len(data__pipeline)
                if data__pipeline_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".pipeline must be longer than or equal to 1 characters", value=data__pipeline, name="" + (name_prefix or "data") + ".pipeline", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "params" in data_keys:
            data_keys.remove("params")
            data__params = data["params"]
            if not isinstance(data__params, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".params must be object", value=data__params, name="" + (name_prefix or "data") + ".params", definition={'type': 'object'}, rule='type')
        if "inputs" in data_keys:
            data_keys.remove("inputs")
            data__inputs = data["inputs"]
            if not isinstance(data__inputs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs must be object", value=data__inputs, name="" + (name_prefix or "data") + ".inputs", definition={'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='type')
            data__inputs_is_dict = isinstance(data__inputs, dict)
            if data__inputs_is_dict:
                data__inputs_len = len(data__inputs)
                if data__inputs_len != 0:
                    data__inputs_property_names = True
                    for data__inputs_key in data__inputs:
                        try:
                            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_identifier(data__inputs_key, custom_formats, (name_prefix or "data") + ".inputs")
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__inputs_property_names = False
                    if not data__inputs_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs must be named by propertyName definition", value=data__inputs, name="" + (name_prefix or "data") + ".inputs", definition={'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='propertyNames')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be array", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, rule='type')
            data__after_is_list = isinstance(data__after, (list, tuple))
            if data__after_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__after_len = len(data__after)
                if data__after_len > len(set(fn(data__after_x) for data__after_x in data__after)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must contain unique items", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, rule='uniqueItems')
                for data__after_x, data__after_item in enumerate(data__after):
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_step_name(data__after_item, custom_formats, (name_prefix or "data") + f".after[{data__after_x}]")
        if "reads" in data_keys:
            data_keys.remove("reads")
            data__reads = data["reads"]
            data__reads_any_of_count3 = 0
            if not data__reads_any_of_count3:
                try:
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_file_path(data__reads, custom_formats, (name_prefix or "data") + ".reads")
                    data__reads_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__reads_any_of_count3:
                try:
                    if not isinstance(data__reads, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".reads must be array", value=data__reads, name="" + (name_prefix or "data") + ".reads", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}, rule='type')
                    data__reads_is_list = isinstance(data__reads, (list, tuple))
                    if data__reads_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__reads_len = len(data__reads)
                        if data__reads_len > len(set(fn(data__reads_x) for data__reads_x in data__reads)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".reads must contain unique items", value=data__reads, name="" + (name_prefix or "data") + ".reads", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}, rule='uniqueItems')
                        for data__reads_x, data__reads_item in enumerate(data__reads):
                            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_file_path(data__reads_item, custom_formats, (name_prefix or "data") + f".reads[{data__reads_x}]")
                    data__reads_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__reads_any_of_count3:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".reads cannot be validated by any definition", value=data__reads, name="" + (name_prefix or "data") + ".reads", definition={'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, rule='anyOf')
        if "writes" in data_keys:
            data_keys.remove("writes")
            data__writes = data["writes"]
            data__writes_any_of_count4 = 0
            if not data__writes_any_of_count4:
                try:
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_file_path(data__writes, custom_formats, (name_prefix or "data") + ".writes")
                    data__writes_any_of_count4 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__writes_any_of_count4:
                try:
                    if not isinstance(data__writes, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".writes must be array", value=data__writes, name="" + (name_prefix or "data") + ".writes", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}, rule='type')
                    data__writes_is_list = isinstance(data__writes, (list, tuple))
                    if data__writes_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__writes_len = len(data__writes)
                        if data__writes_len > len(set(fn(data__writes_x) for data__writes_x in data__writes)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".writes must contain unique items", value=data__writes, name="" + (name_prefix or "data") + ".writes", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}, rule='uniqueItems')
                        for data__writes_x, data__writes_item in enumerate(data__writes):
                            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_file_path(data__writes_item, custom_formats, (name_prefix or "data") + f".writes[{data__writes_x}]")
                    data__writes_any_of_count4 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__writes_any_of_count4:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".writes cannot be validated by any definition", value=data__writes, name="" + (name_prefix or "data") + ".writes", definition={'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, rule='anyOf')
        if "outputs" in data_keys:
            data_keys.remove("outputs")
            data__outputs = data["outputs"]
            if not isinstance(data__outputs, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must be array", value=data__outputs, name="" + (name_prefix or "data") + ".outputs", definition={'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='type')
            data__outputs_is_list = isinstance(data__outputs, (list, tuple))
            if data__outputs_is_list:
                data__outputs_len = len(data__outputs)
                if data__outputs_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must contain at least 1 items", value=data__outputs, name="" + (name_prefix or "data") + ".outputs", definition={'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='minItems')
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                if data__outputs_len > len(set(fn(data__outputs_x) for data__outputs_x in data__outputs)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must contain unique items", value=data__outputs, name="" + (name_prefix or "data") + ".outputs", definition={'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='uniqueItems')
                for data__outputs_x, data__outputs_item in enumerate(data__outputs):
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_identifier(data__outputs_item, custom_formats, (name_prefix or "data") + f".outputs[{data__outputs_x}]")
        if "result" in data_keys:
            data_keys.remove("result")
            data__result = data["result"]
            data__result_any_of_count5 = 0
            if not data__result_any_of_count5:
                try:
                    if not (isinstance(data__result, bool) and data__result is False):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".result must be same as const definition: False", value=data__result, name="" + (name_prefix or "data") + ".result", definition={'const': False}, rule='const')
                    if not isinstance(data__result, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".result must be boolean", value=data__result, name="" + (name_prefix or "data") + ".result", definition={'type': ['boolean']}, rule='type')
                    data__result_any_of_count5 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__result_any_of_count5:
                try:
                    validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_result(data__result, custom_formats, (name_prefix or "data") + ".result")
                    data__result_any_of_count5 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__result_any_of_count5:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".result cannot be validated by any definition", value=data__result, name="" + (name_prefix or "data") + ".result", definition={'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, rule='anyOf')
        if "cache" in data_keys:
            data_keys.remove("cache")
            data__cache = data["cache"]
            if not isinstance(data__cache, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".cache must be boolean", value=data__cache, name="" + (name_prefix or "data") + ".cache", definition={'type': 'boolean'}, rule='type')
        if "retries" in data_keys:
            data_keys.remove("retries")
            data__retries = data["retries"]
            if not isinstance(data__retries, (int)) and not (isinstance(data__retries, float) and data__retries.is_integer()) or isinstance(data__retries, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".retries must be integer", value=data__retries, name="" + (name_prefix or "data") + ".retries", definition={'type': 'integer', 'minimum': 0}, rule='type')
            if isinstance(data__retries, (int, float, Decimal)) and not isinstance(data__retries, bool):
                if data__retries < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".retries must be bigger than or equal to 0", value=data__retries, name="" + (name_prefix or "data") + ".retries", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
        if "retry_delay" in data_keys:
            data_keys.remove("retry_delay")
            data__retrydelay = data["retry_delay"]
            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_duration(data__retrydelay, custom_formats, (name_prefix or "data") + ".retry_delay")
        if "retry_backoff" in data_keys:
            data_keys.remove("retry_backoff")
            data__retrybackoff = data["retry_backoff"]
            if not isinstance(data__retrybackoff, (int, float, Decimal)) or isinstance(data__retrybackoff, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry_backoff must be number", value=data__retrybackoff, name="" + (name_prefix or "data") + ".retry_backoff", definition={'type': 'number', 'minimum': 1}, rule='type')
            if isinstance(data__retrybackoff, (int, float, Decimal)) and not isinstance(data__retrybackoff, bool):
                if data__retrybackoff < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry_backoff must be bigger than or equal to 1", value=data__retrybackoff, name="" + (name_prefix or "data") + ".retry_backoff", definition={'type': 'number', 'minimum': 1}, rule='minimum')
        if "timeout" in data_keys:
            data_keys.remove("timeout")
            data__timeout = data["timeout"]
            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_timeout(data__timeout, custom_formats, (name_prefix or "data") + ".timeout")
        if "foreach" in data_keys:
            data_keys.remove("foreach")
            data__foreach = data["foreach"]
        if "as" in data_keys:
            data_keys.remove("as")
            data__as = data["as"]
            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_identifier(data__as, custom_formats, (name_prefix or "data") + ".as")
        if "when" in data_keys:
            data_keys.remove("when")
            data__when = data["when"]
            if not isinstance(data__when, (bool, str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".when must be boolean or string", value=data__when, name="" + (name_prefix or "data") + ".when", definition={'type': ['boolean', 'string']}, rule='type')
        if "code_version" in data_keys:
            data_keys.remove("code_version")
            data__codeversion = data["code_version"]
            if not isinstance(data__codeversion, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".code_version must be string", value=data__codeversion, name="" + (name_prefix or "data") + ".code_version", definition={'type': 'string'}, rule='type')
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            if not isinstance(data__description, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".description must be string", value=data__description, name="" + (name_prefix or "data") + ".description", definition={'type': 'string'}, rule='type')
        if "tags" in data_keys:
            data_keys.remove("tags")
            data__tags = data["tags"]
            if not isinstance(data__tags, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".tags must be array", value=data__tags, name="" + (name_prefix or "data") + ".tags", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}, rule='type')
            data__tags_is_list = isinstance(data__tags, (list, tuple))
            if data__tags_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__tags_len = len(data__tags)
                if data__tags_len > len(set(fn(data__tags_x) for data__tags_x in data__tags)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".tags must contain unique items", value=data__tags, name="" + (name_prefix or "data") + ".tags", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}, rule='uniqueItems')
                for data__tags_x, data__tags_item in enumerate(data__tags):
                    if not isinstance(data__tags_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + f".tags[{data__tags_x}]" + " must be string", value=data__tags_item, name="" + (name_prefix or "data") + f".tags[{data__tags_x}]" + "", definition={'type': 'string'}, rule='type')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'oneOf': [{'required': ['run']}, {'required': ['pipeline']}], 'properties': {'run': {'type': 'string', 'minLength': 1}, 'pipeline': {'type': 'string', 'minLength': 1}, 'params': {'type': 'object'}, 'inputs': {'type': 'object', 'propertyNames': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'after': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_-]*$'}}, 'reads': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'writes': {'anyOf': [{'type': 'string', 'minLength': 1}, {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'minLength': 1}}]}, 'outputs': {'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'result': {'anyOf': [{'allOf': [{'const': False}, {'type': ['boolean']}]}, {'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}]}, 'cache': {'type': 'boolean'}, 'retries': {'type': 'integer', 'minimum': 0}, 'retry_delay': {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, 'retry_backoff': {'type': 'number', 'minimum': 1}, 'timeout': {'anyOf': [{'type': 'null'}, {'$ref': '#/$defs/duration'}]}, 'foreach': {}, 'as': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'when': {'type': ['boolean', 'string']}, 'code_version': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}}}}, rule='additionalProperties')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_result(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "target" in data_keys:
            data_keys.remove("target")
            data__target = data["target"]
            if not isinstance(data__target, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".target must be string", value=data__target, name="" + (name_prefix or "data") + ".target", definition={'type': 'string'}, rule='type')
        if "format" in data_keys:
            data_keys.remove("format")
            data__format = data["format"]
            if not (isinstance(data__format, str) and data__format == 'parquet' or isinstance(data__format, str) and data__format == 'csv' or isinstance(data__format, str) and data__format == 'json' or isinstance(data__format, str) and data__format == 'pickle' or isinstance(data__format, str) and data__format == 'joblib' or isinstance(data__format, str) and data__format == 'npy' or isinstance(data__format, str) and data__format == 'txt'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format must be one of ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']", value=data__format, name="" + (name_prefix or "data") + ".format", definition={'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, rule='enum')
            if not isinstance(data__format, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format must be string", value=data__format, name="" + (name_prefix or "data") + ".format", definition={'type': ['string']}, rule='type')
        if "root" in data_keys:
            data_keys.remove("root")
            data__root = data["root"]
            if not isinstance(data__root, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".root must be string", value=data__root, name="" + (name_prefix or "data") + ".root", definition={'type': 'string'}, rule='type')
        if "storage_options" in data_keys:
            data_keys.remove("storage_options")
            data__storageoptions = data["storage_options"]
            if not isinstance(data__storageoptions, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".storage_options must be object", value=data__storageoptions, name="" + (name_prefix or "data") + ".storage_options", definition={'type': 'object'}, rule='type')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'properties': {'target': {'type': 'string'}, 'format': {'allOf': [{'enum': ['parquet', 'csv', 'json', 'pickle', 'joblib', 'npy', 'txt']}, {'type': ['string']}]}, 'root': {'type': 'string'}, 'storage_options': {'type': 'object'}}}, rule='additionalProperties')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_file_path(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'minLength': 1}, rule='type')
    if isinstance(data, str):
        data_len = len(data)
        if data_len < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be longer than or equal to 1 characters", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'minLength': 1}, rule='minLength')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_timeout(data, custom_formats={}, name_prefix=None):
    data_any_of_count6 = 0
    if not data_any_of_count6:
        try:
            if not isinstance(data, (NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be null", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'null'}, rule='type')
            data_any_of_count6 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count6:
        try:
            validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_duration(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count6 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count6:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition", value=data, name="" + (name_prefix or "data") + "", definition={'anyOf': [{'type': 'null'}, {'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}]}, rule='anyOf')
    return data

def validate_https___example_invalid_pipeflow_schema_pipeline_1_json___defs_duration(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, int, float, Decimal)) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or number", value=data, name="" + (name_prefix or "data") + "", definition={'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$", value=data, name="" + (name_prefix or "data") + "", definition={'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, rule='pattern')
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 0:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 0", value=data, name="" + (name_prefix or "data") + "", definition={'type': ['string', 'number'], 'pattern': '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$', 'minimum': 0}, rule='minimum')
    return data


validate = validate_https___example_invalid_pipeflow_schema_pipeline_1_json
