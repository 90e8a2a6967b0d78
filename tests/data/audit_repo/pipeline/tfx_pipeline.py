"""A TFX pipeline: ExampleGen -> Trainer -> Pusher."""
from tfx import v1 as tfx


def create_pipeline(root):
    example_gen = tfx.components.CsvExampleGen(input_base=root)
    trainer = tfx.components.Trainer(module_file="model.py", examples=example_gen.outputs["examples"])
    return tfx.dsl.Pipeline(pipeline_name="p", pipeline_root=root, components=[example_gen, trainer])
