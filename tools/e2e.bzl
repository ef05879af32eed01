"""csim_e2e_test: a test that runs the real pipeline (namespaces, haproxy, pods).

Every such test is `large` and `exclusive`: namespaces, haproxy and pods on 2 cores keep
their timing sane only when nothing else runs beside them. The tags and size live here so
that every end-to-end test stays in step.
"""

def csim_e2e_test(name, srcs, deps = [], data = [], tags = [], **kwargs):
    native.cc_test(
        name = name,
        size = "large",
        srcs = srcs,
        data = data,
        deps = deps,
        tags = ["exclusive"] + tags,
        **kwargs
    )
